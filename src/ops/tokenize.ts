import { Buffer } from 'node:buffer';
import { type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import { closeUpstream, opStats, pull } from './support/pulled.js';
import type { TextRecord } from './items/text-record.js';
import type { TokenizedDoc } from './items/tokenized-doc.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { type BatchEncoder, tokenizersEncoder } from '../tokenizer/batch-encoder.js';

export interface TokenizeOptions {
  /** Encode with `tokenizers` itself (any tokenizer.json) ... */
  readonly tokenizer?: Tokenizer;
  /** ... or with a chosen encoder (`bestEncoder`: the JavaScript BPE in worker threads). */
  readonly encoder?: BatchEncoder;
  /** Documents per `encodeBatch` call (default 128). */
  readonly batchSize?: number;
  /**
   * Batches being encoded at once (default 4): enough that each of two encoder threads has a
   * batch queued while this thread reads and parses the next, so none waits for the other.
   * Bounds the read-ahead to `batchSize × batchesInFlight` documents.
   */
  readonly batchesInFlight?: number;
}

export interface TokenizeStats {
  docs: number;
  chars: number;
  bytes: number;
  tokens: number;
  [key: string]: number;
}

interface EncodingBatch {
  readonly records: TextRecord[];
  readonly states: StageState[];
  readonly ids: Promise<Int32Array[]>;
}

/**
 * Text → token ids with a HuggingFace tokenizer, batched, in input order; domain and
 * provenance ride along. The state is the upstream position of the last delivered document:
 * documents read ahead for batching are read and encoded again after a resume.
 */
export function tokenize(options: TokenizeOptions): Op<TextRecord, TokenizedDoc> {
  const batchSize = options.batchSize ?? 128;
  const batchesInFlight = options.batchesInFlight ?? 4;
  if ((options.tokenizer === undefined) === (options.encoder === undefined)) {
    throw new Error('tokenize: give exactly one of tokenizer or encoder');
  }
  const encoder = options.encoder ?? tokenizersEncoder(options.tokenizer!);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`tokenize: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(batchesInFlight) || batchesInFlight < 1) {
    throw new RangeError(`tokenize: batchesInFlight must be a positive integer, got ${batchesInFlight}`);
  }
  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`tokenize: resume state must be null, got ${JSON.stringify(resume)}`);
    let delivered: StageState = upstream.state();
    const counts: TokenizeStats = { docs: 0, chars: 0, bytes: 0, tokens: 0 };
    const stage: Stage<TokenizedDoc> = {
      state: () => opState(null, delivered),
      stats: () => opStats('tokenize', { ...counts, encoder: encoder.kind }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        const iterator = upstream[Symbol.asyncIterator]();
        const queue: EncodingBatch[] = [];
        let ended = false;

        const readBatch = async (): Promise<EncodingBatch | undefined> => {
          const records: TextRecord[] = [];
          const states: StageState[] = [];
          while (records.length < batchSize) {
            const next = await pull(iterator, upstream);
            if (next === undefined) { ended = true; break; }
            if (typeof next.value.text !== 'string') {
              const where = next.value.provenance ? `${next.value.provenance.file}:${next.value.provenance.line}` : 'unknown source';
              throw new Error(`tokenize: record from ${where} has no text string`);
            }
            records.push(next.value);
            states.push(next.state);
          }
          if (records.length === 0) return undefined;
          const ids = encoder.encodeBatch(records.map((r) => r.text));
          // A failure surfaces when this batch's turn comes, not as an unhandled rejection.
          ids.catch(() => undefined);
          return { records, states, ids };
        };

        try {
          for (;;) {
            while (!ended && queue.length < batchesInFlight) {
              const batch = await readBatch();
              if (batch !== undefined) queue.push(batch);
            }
            const head = queue.shift();
            if (head === undefined) return;
            const ids = await head.ids;
            for (let i = 0; i < head.records.length; i++) {
              const record = head.records[i]!;
              const docIds = ids[i]!;
              const bytes = Buffer.byteLength(record.text, 'utf8');
              counts.docs++;
              counts.chars += record.text.length;
              counts.bytes += bytes;
              counts.tokens += docIds.length;
              delivered = head.states[i]!;
              yield { ids: docIds, domain: record.domain, provenance: record.provenance, chars: record.text.length, bytes };
            }
          }
        } finally {
          if (!ended) await iterator.return?.();
        }
      },
    };
    return stage;
  };
}
