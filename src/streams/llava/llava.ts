import { consumerSlots, type PartitionCursor } from '../files/partition-turns.js';
import { hashString } from '../../base/random.js';
import { type ZstdDecoderChoice, openDecoded } from '../decode/open-decoded.js';
import { resolveFiles } from '../files/resolve-files.js';
import { type ShardSpec, consumerOf, epochFileOrder, partitionFiles } from '../slimpajama/shard.js';
import type { OnError } from '../slimpajama/slimpajama.js';
import { type CarriedSourceCounts, SourceStats } from '../slimpajama/source-stats.js';
import type { Flow, Json, Stage, StageState } from '../stage.js';
import type { ImageTextRecord } from './image-text-record.js';
import { type LlavaSkipReason, parseLlavaRecord } from './parse-record.js';
import { LlavaPartitionReader, type LlavaPartitionPosition, type LlavaSlot } from './partition-reader.js';

/** What a directory contributes: JSON arrays and JSON Lines, plain or compressed. */
export const LLAVA_PATTERN = '**/*.{json,jsonl}{,.gz,.zst,.zstd}';

export interface LlavaOptions extends ShardSpec {
  /** `.json` files (one array of records) and `.jsonl` files (one record per line): paths, directories, globs. */
  files: string | readonly string[];
  /** Folder the records' `image` paths are relative to. */
  imageRoot: string;
  /** 'fail' (default): the first bad record this consumer owns throws, naming file, record and reason. 'skip': counted in stats(). */
  onError?: OnError;
  /** Check with a `stat` that every image exists and is not empty (default true). */
  checkImages?: boolean;
  /** Seeds the per-epoch file shuffle. Default 0. */
  seed?: number;
  /** Which epoch's file order to read. Default 0 (`repeat` sets it). */
  epoch?: number;
  /** Shuffle the file order per (seed, epoch). Default true. */
  shuffleFiles?: boolean;
  /** Canonical partitions read round-robin; fixed per data set, independent of worldSize. Default 8. */
  partitions?: number;
  /** `.zst` decoder: 'auto' (CLI when on PATH, else JS), 'cli' or 'js'. */
  decoder?: ZstdDecoderChoice;
  /** Longer records are skipped as 'record_too_long' instead of buffered. Default 64 MiB. */
  maxRecordBytes?: number;
}

interface LlavaState {
  fingerprint: number;
  consumer: [number, number];
  /** The next global slot index. */
  slot: number;
  /** The partition the next slot is taken from. */
  turn: number;
  /** Per partition: [file, offset, record index, line], or null when exhausted. */
  parts: ([number, number, number, number] | null)[];
  /** What was read, used and skipped up to this position (../carried-counts.ts; absent in older states). */
  counts?: CarriedSourceCounts;
}

/**
 * The LLaVA source: records `{id, image?, conversations}` from `.json` arrays (split as a stream,
 * never parsed whole) and `.jsonl` files, validated, with their provenance. Order, sharding and
 * resume follow the SlimPajama source's rule (../slimpajama/shard.ts): every record or file-level
 * problem is one slot of a global order that consumer c of C takes every C-th slot of; the state
 * is the position after the last record the consumer received (`.json` arrays resume by seeking
 * to the byte after that element).
 *
 * @example
 * const records = llava({ files: 'data/llava_v1_5_mix665k.json', imageRoot: 'data', onError: 'skip', rank, worldSize });
 * for await (const r of records()) r.provenance; // { file, record: 41, id: '000000033471' }
 */
export function llava(options: LlavaOptions): Flow<ImageTextRecord> {
  const files = resolveFiles(typeof options.files === 'string' ? [options.files] : options.files, LLAVA_PATTERN);
  const onError = options.onError ?? 'fail';
  const partitions = options.partitions ?? 8;
  const order = epochFileOrder(files, options.seed ?? 0, options.epoch ?? 0, options.shuffleFiles ?? true);
  const parts = partitionFiles(order, partitions);
  const consumer = consumerOf(options);
  const fingerprint = hashString(JSON.stringify(['llava', options.seed ?? 0, options.epoch ?? 0, options.shuffleFiles ?? true, partitions, order]));
  const maxRecordBytes = options.maxRecordBytes ?? 64 * 2 ** 20;
  const context = { imageRoot: options.imageRoot, checkImages: options.checkImages ?? true };
  const open = (file: string, start: number) => openDecoded(file, { zstd: options.decoder, start });

  return (resume?: StageState) => {
    const saved = resume === undefined ? undefined : checkState(resume, fingerprint, consumer.index, consumer.count, partitions);
    const stats = new SourceStats<LlavaSkipReason>();
    stats.restore(saved?.counts);
    const cursor: PartitionCursor = { slot: saved?.slot ?? 0, turn: saved?.turn ?? 0 };
    let failure: Error | undefined;
    const readers = parts.map((partFiles, p) => {
      const at = saved ? saved.parts[p] : [0, 0, 0, 1];
      const start: LlavaPartitionPosition | null = at ? { file: at[0], offset: at[1], index: at[2], line: at[3] } : null;
      return new LlavaPartitionReader(partFiles, start, open, maxRecordBytes, (file) => {
        if (cursor.slot % consumer.count === consumer.index) stats.blank(file);
      });
    });
    const closeAll = async () => { await Promise.all(readers.map((r) => r.close())); };

    /** Handles a slot this consumer owns: the record, or undefined after a counted skip. */
    const own = (s: LlavaSlot): ImageTextRecord | undefined => {
      const parsed = s.kind === 'record'
        ? parseLlavaRecord(s.raw, { file: s.file, ...context })
        : { ok: false as const, reason: s.reason, detail: s.detail };
      if (parsed.ok) {
        stats.used(s.file, parsed.record.modality);
        return parsed.record;
      }
      if (onError === 'fail') throw new Error(`${where(s)}${'id' in parsed && parsed.id !== undefined ? ` (id ${parsed.id})` : ''}: ${parsed.reason}: ${parsed.detail}`);
      stats.skipped(s.file, parsed.reason);
      return undefined;
    };

    const stage: Stage<ImageTextRecord> = {
      state: (): Json => {
        // The readers have moved past the record that failed: a state now would skip it silently.
        if (failure) throw new Error(`llava: no resumable state after a failure (${failure.message})`);
        return {
          fingerprint,
          consumer: [consumer.index, consumer.count],
          slot: cursor.slot,
          turn: cursor.turn,
          parts: readers.map((r) => (r.position ? [r.position.file, r.position.offset, r.position.index, r.position.line] : null)),
          counts: stats.carried(),
        } satisfies LlavaState as unknown as Json;
      },
      stats: () => stats.toJson(),
      close: closeAll,
      async *[Symbol.asyncIterator]() {
        try {
          for await (const s of consumerSlots(readers, cursor, consumer)) {
            let record: ImageTextRecord | undefined;
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

/** `file: record N (line L)`: how errors name a record. */
function where(s: LlavaSlot): string {
  if (s.kind === 'issue') return `${s.file}: record ${s.index}`;
  return `${s.file}: record ${s.raw.index}${s.raw.line !== undefined ? ` (line ${s.raw.line})` : ` (byte ${s.raw.offset})`}`;
}

function checkState(state: StageState, fingerprint: number, index: number, count: number, partitions: number): LlavaState {
  const s = state as unknown as LlavaState;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || typeof s.slot !== 'number' || !Array.isArray(s.parts)) {
    throw new Error(`llava: resume state is not a llava state: ${JSON.stringify(state).slice(0, 120)}`);
  }
  if (s.fingerprint !== fingerprint || s.parts.length !== partitions) {
    throw new Error('llava: resume state was saved for a different file list, seed, epoch or partition count');
  }
  if (s.consumer[0] !== index || s.consumer[1] !== count) {
    throw new Error(`llava: resume state belongs to consumer ${s.consumer[0]} of ${s.consumer[1]}, not ${index} of ${count}`);
  }
  return s;
}
