import type { Flow } from '../streams/stage.js';
import { pipe } from '../streams/pipe.js';
import type { BatchEncoder } from '../tokenizer/batch-encoder.js';
import { batch } from './batch.js';
import { pack } from './pack.js';
import type { PackedWindow } from './items/packed-window.js';
import { prefetch } from './prefetch.js';
import { shuffle } from './shuffle.js';
import type { TextRecord } from './items/text-record.js';
import type { TokenBatch } from '../models/train-types.js';
import { tokenize } from './tokenize.js';

export interface TextFlowOptions {
  readonly encoder: BatchEncoder;
  /** LibMoE: 1024. */
  readonly seqLen: number;
  readonly separatorId: number;
  readonly batchSize: number;
  readonly segmentIds?: boolean;
  /** Domain names to number first (stable ids across runs). */
  readonly domains?: readonly string[];
  /** Shuffle packed windows in a seeded buffer; omit to keep LibMoE's sequential order. */
  readonly shuffle?: { readonly bufferSize: number; readonly seed: number };
  /** Batches prepared ahead of the trainer (default 2). */
  readonly prefetch?: number;
  readonly dropRemainder?: boolean;
}

/**
 * The standard LM data path: documents → tokenize → pack → [shuffle] → batch → prefetch, for
 * library use. `pipeline run` assembles its chain from the pipeline's `data.flow` instead
 * (src/ops/flow/, whose default list builds this same chain).
 * A `Flow`: call it fresh or with a saved `state()` to resume exactly.
 */
export function textFlow(source: Flow<TextRecord>, options: TextFlowOptions): Flow<TokenBatch> {
  const packed = pipe(
    source,
    tokenize({ encoder: options.encoder }),
    pack({
      seqLen: options.seqLen, separatorId: options.separatorId,
      ...(options.segmentIds !== undefined ? { segmentIds: options.segmentIds } : {}),
      ...(options.domains !== undefined ? { domains: options.domains } : {}),
    }),
  );
  const mixed: Flow<PackedWindow> = options.shuffle ? pipe(packed, shuffle<PackedWindow>(options.shuffle)) : packed;
  return pipe(
    mixed,
    batch({ size: options.batchSize, ...(options.dropRemainder !== undefined ? { dropRemainder: options.dropRemainder } : {}) }),
    prefetch<TokenBatch>(options.prefetch ?? 2),
  );
}
