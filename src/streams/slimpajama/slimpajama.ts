import { consumerSlots, type PartitionCursor } from '../files/partition-turns.js';
import { type ZstdDecoderChoice, openDecoded } from '../decode/open-decoded.js';
import { resolveFiles } from '../files/resolve-files.js';
import { hashString } from '../../base/random.js';
import type { Flow, Json, Stage, StageState } from '../stage.js';
import { parseSlimPajamaLine } from './parse-record.js';
import { PartitionReader, type PartitionPosition, type Slot } from './partition-reader.js';
import { type ShardSpec, consumerOf, epochFileOrder, partitionFiles } from './shard.js';
import { type CarriedSourceCounts, SourceStats } from './source-stats.js';

/** One SlimPajama document, with where it came from. */
export interface TextRecord {
  readonly text: string;
  /** `meta.redpajama_set_name`, or 'unknown' when absent or not a non-empty string. */
  readonly domain: string;
  readonly provenance: { readonly file: string; readonly line: number };
}

export type OnError = 'fail' | 'skip';

export interface SlimPajamaOptions extends ShardSpec {
  /** Paths, directories (every *.jsonl, *.jsonl.gz, *.jsonl.zst below) and globs. */
  files: string | readonly string[];
  /** 'fail' (default): the first bad slot this consumer owns throws, naming file, line and reason. 'skip': counted in stats(). */
  onError?: OnError;
  /** Seeds the per-epoch file shuffle. Default 0. */
  seed?: number;
  /** Which epoch's file order to read. Default 0 (`repeat` sets it). */
  epoch?: number;
  /** Shuffle the file order per (seed, epoch). Default true (LibMoE permutes its shards too). */
  shuffleFiles?: boolean;
  /** Canonical partitions read round-robin; fixed per data set, independent of worldSize. Default 8. */
  partitions?: number;
  /** `.zst` decoder: 'auto' (CLI when on PATH, else JS), 'cli' or 'js'. */
  decoder?: ZstdDecoderChoice;
  /** Longer lines are skipped as 'line_too_long' instead of buffered. Default 64 MiB. */
  maxLineBytes?: number;
}

interface SourceState {
  fingerprint: number;
  consumer: [number, number];
  /** The next global slot index. */
  slot: number;
  /** The partition the next slot is taken from. */
  turn: number;
  /** Per partition: [file, offset, line], or null when exhausted. */
  parts: ([number, number, number] | null)[];
  /** What was read, used and skipped up to this position (absent in states saved before it was carried). */
  counts?: CarriedSourceCounts;
}

/**
 * The SlimPajama source: JSON Lines documents `{text, meta: {redpajama_set_name}}` from plain,
 * gzip or zstd files, in the deterministic, shardable order of ./shard.ts. Its state is the
 * position after the last record the consumer received (plain files resume by seeking, compressed
 * ones by decoding again up to the byte offset).
 */
export function slimPajama(options: SlimPajamaOptions): Flow<TextRecord> {
  const files = resolveFiles(typeof options.files === 'string' ? [options.files] : options.files);
  const onError = options.onError ?? 'fail';
  const partitions = options.partitions ?? 8;
  const order = epochFileOrder(files, options.seed ?? 0, options.epoch ?? 0, options.shuffleFiles ?? true);
  const parts = partitionFiles(order, partitions);
  const consumer = consumerOf(options);
  // Identifies (files, seed, epoch, shuffle, partitions): a state only resumes the flow it came from.
  const fingerprint = hashString(JSON.stringify([options.seed ?? 0, options.epoch ?? 0, options.shuffleFiles ?? true, partitions, order]));
  const maxLineBytes = options.maxLineBytes ?? 64 * 2 ** 20;
  const open = (file: string, start: number) => openDecoded(file, { zstd: options.decoder, start });

  return (resume?: StageState) => {
    const saved = resume === undefined ? undefined : checkState(resume, fingerprint, consumer.index, consumer.count, partitions);
    const stats = new SourceStats();
    stats.restore(saved?.counts);
    const cursor: PartitionCursor = { slot: saved?.slot ?? 0, turn: saved?.turn ?? 0 };
    let failure: Error | undefined;
    const readers = parts.map((partFiles, p) => {
      const at = saved ? saved.parts[p] : [0, 0, 1];
      const start: PartitionPosition | null = at ? { file: at[0], offset: at[1], line: at[2] } : null;
      return new PartitionReader(partFiles, start, open, maxLineBytes, (file) => {
        if (cursor.slot % consumer.count === consumer.index) stats.blank(file);
      });
    });
    const closeAll = async () => { await Promise.all(readers.map((r) => r.close())); };

    /** Handles a slot this consumer owns: the record, or undefined after a counted skip. */
    const own = (s: Slot): TextRecord | undefined => {
      const lineNo = s.kind === 'line' ? s.line.line : s.lineNo;
      const parsed = s.kind === 'line' ? parseSlimPajamaLine(s.line) : { ok: false as const, reason: s.reason, detail: s.detail };
      if (parsed.ok) {
        stats.used(s.file, parsed.domain);
        return { text: parsed.text, domain: parsed.domain, provenance: { file: s.file, line: lineNo } };
      }
      if (onError === 'fail') throw new Error(`${s.file}:${lineNo}: ${parsed.reason}: ${parsed.detail}`);
      stats.skipped(s.file, parsed.reason);
      return undefined;
    };

    const stage: Stage<TextRecord> = {
      state: (): Json => {
        // The readers have moved past the slot that failed: a state now would skip it silently.
        if (failure) throw new Error(`slimPajama: no resumable state after a failure (${failure.message})`);
        return {
          fingerprint,
          consumer: [consumer.index, consumer.count],
          slot: cursor.slot,
          turn: cursor.turn,
          parts: readers.map((r) => (r.position ? [r.position.file, r.position.offset, r.position.line] : null)),
          counts: stats.carried(),
        } satisfies SourceState as unknown as Json;
      },
      stats: () => stats.toJson(),
      close: closeAll,
      async *[Symbol.asyncIterator]() {
        try {
          for await (const s of consumerSlots(readers, cursor, consumer)) {
            let record: TextRecord | undefined;
            try {
              record = own(s);
            } catch (error) {
              failure = error as Error;
              throw error;
            }
            if (record) yield record;
          }
        } finally {
          await closeAll();
        }
      },
    };
    return stage;
  };
}

function checkState(state: StageState, fingerprint: number, index: number, count: number, partitions: number): SourceState {
  const s = state as unknown as SourceState;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || typeof s.slot !== 'number' || !Array.isArray(s.parts)) {
    throw new Error(`slimPajama: resume state is not a slimPajama state: ${JSON.stringify(state).slice(0, 120)}`);
  }
  if (s.fingerprint !== fingerprint || s.parts.length !== partitions) {
    throw new Error('slimPajama: resume state was saved for a different file list, seed, epoch or partition count');
  }
  if (s.consumer[0] !== index || s.consumer[1] !== count) {
    throw new Error(`slimPajama: resume state belongs to consumer ${s.consumer[0]} of ${s.consumer[1]}, not ${index} of ${count}`);
  }
  return s;
}
