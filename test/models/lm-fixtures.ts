/** Tiny shapes shared by the LM tests: small enough for float64 references and fast steps on wasm. */
import type { LmConfig } from '../../src/models/lm/config.js';
import type { TokenBatch } from '../../src/models/train-types.js';

export const TINY_DENSE: LmConfig = {
  vocabSize: 11,
  dModel: 8,
  nLayers: 2,
  nHeads: 2,
  headDim: 4,
  ffn: { kind: 'dense', hidden: 16 },
  seed: 7,
};

/** A deterministic batch of token windows [B, T+1] from a simple pseudo-random recurrence. */
export function tinyBatch(batchSize: number, seqLen: number, vocab: number, seed = 1): TokenBatch {
  const tokens = new Int32Array(batchSize * (seqLen + 1));
  let s = seed >>> 0;
  for (let i = 0; i < tokens.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    tokens[i] = (s >>> 16) % vocab;
  }
  return { tokens, batchSize, seqLen };
}

/** A short repeating sequence a model can memorise: windows of the cycle 0,1,…,period-1 at different offsets. */
export function cyclicBatch(batchSize: number, seqLen: number, period: number): TokenBatch {
  const tokens = new Int32Array(batchSize * (seqLen + 1));
  for (let b = 0; b < batchSize; b++) for (let t = 0; t <= seqLen; t++) tokens[b * (seqLen + 1) + t] = (b * 3 + t * t + t) % period;
  return { tokens, batchSize, seqLen };
}
