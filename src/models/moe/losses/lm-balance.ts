import { tf, type Scalar, type Tensor2D } from '../../tf.js';

/**
 * LibMoE's LM `standard` balance, before the λ factor (golden README §4):
 *   s̃ = s / Σ_e s          (skipped when `renormalise` is false: DeepSeek-V3)
 *   f[b,e] = E/(T·K) · #{(t,k): idx[b,t,k] = e}
 *   L = mean_b Σ_e f[b,e] · mean_t s̃[b,t,e]                 (uniform routing → 1)
 * All K picks count, unlike the VLM loss.
 */
export function lmBalanceLoss(scores: Tensor2D, idx: Int32Array, batch: number, seqLen: number, k: number, renormalise: boolean): Scalar {
  const e = scores.shape[1];
  const f = new Float32Array(batch * e);
  const scale = e / (seqLen * k);
  for (let b = 0; b < batch; b++) {
    for (let i = b * seqLen * k; i < (b + 1) * seqLen * k; i++) {
      const j = idx[i]!;
      if (j >= 0) f[b * e + j]! += scale;
    }
  }
  const s = renormalise ? tf.div(scores, tf.sum(scores, 1, true)) : scores;
  const meanS = tf.mean(tf.reshape(s, [batch, seqLen, e]), 1);
  return tf.div(tf.sum(tf.mul(meanS, tf.tensor2d(f, [batch, e]))), batch) as Scalar;
}
