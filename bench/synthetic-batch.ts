/** A training batch of synthetic token ids, the same on every call (the LM benches time steps, not learning). */
import type { TokenBatch } from '../src/models/train-types.js';

/** `batchSize` rows of `seqLen + 1` ids, `(i · 7919) mod vocab` in order. */
export function syntheticBatch(batchSize: number, seqLen: number, vocab: number): TokenBatch {
  const tokens = new Int32Array(batchSize * (seqLen + 1));
  for (let i = 0; i < tokens.length; i++) tokens[i] = (i * 7919) % vocab;
  return { tokens, batchSize, seqLen };
}
