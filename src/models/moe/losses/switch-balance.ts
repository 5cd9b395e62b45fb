import { tf, type Scalar, type Tensor2D } from '../../tf.js';

/**
 * LibMoE's VLM Switch balance loss (golden README §4): only the first pick counts, per sequence.
 *   P[b,e] = mean_t p[b,t,e],  f[b,e] = mean_t 1[top1[b,t] = e]
 *   L = E² · mean_{b,e}( w_e · P[b,e] · f[b,e] )          (uniform routing → 1)
 * `columnWeights` is MoE++'s hard-coded per-column factor (1 elsewhere).
 */
export function switchBalanceLoss(probs: Tensor2D, top1: Int32Array, batch: number, seqLen: number, columnWeights?: Float32Array): Scalar {
  const e = probs.shape[1];
  const f = new Float32Array(batch * e);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) {
      const j = top1[b * seqLen + t]!;
      if (j >= 0) f[b * e + j]! += 1 / seqLen;
    }
  }
  if (columnWeights) for (let b = 0; b < batch; b++) for (let j = 0; j < e; j++) f[b * e + j]! *= columnWeights[j]!;
  const meanP = tf.mean(tf.reshape(probs, [batch, seqLen, e]), 1);
  return tf.mul(tf.mean(tf.mul(meanP, tf.tensor2d(f, [batch, e]))), e * e) as Scalar;
}
