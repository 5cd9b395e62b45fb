/**
 * Phi3Model._update_causal_mask (eager attention), as 0/1: query i may attend to key j when
 * j ≤ i and key j is not padding. transformers adds finfo.min where it is 0; adding −1e9 gives
 * the same softmax in float32 (exp underflows to exactly 0) without an infinity in the graph.
 * Padded query rows are computed normally (they attend to the real keys before them).
 */
export function allowedPositions(batch: number, seqLen: number, attentionMask: ArrayLike<number> | null): Uint8Array {
  const out = new Uint8Array(batch * seqLen * seqLen);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < seqLen; i++) {
      for (let j = 0; j <= i; j++) {
        if (attentionMask && attentionMask[b * seqLen + j] === 0) continue;
        out[(b * seqLen + i) * seqLen + j] = 1;
      }
    }
  }
  return out;
}

/** The additive form of `allowed` for one batch row: [T·T] with 0 allowed, −1e9 masked. */
export const MASKED = -1e9;
export function additiveMask(allowed: Uint8Array, b: number, seqLen: number): Float32Array {
  const n = seqLen * seqLen;
  return Float32Array.from(allowed.subarray(b * n, (b + 1) * n), (a) => (a ? 0 : MASKED));
}
