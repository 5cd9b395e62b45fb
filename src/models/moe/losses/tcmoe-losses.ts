import { tf, type Scalar, type Tensor2D } from '../../tf.js';

/** TC-MoE null reward: −factor · Σ_{b,t} Σ_{j≥2E} p[b,t,j] / (B·T) (rewards choosing null slots). */
export function tcNullReward(probs: Tensor2D, nExperts: number, factor: number): Scalar {
  const [n, j] = probs.shape;
  const pNull = tf.slice(probs, [0, 2 * nExperts], [n, j - 2 * nExperts]);
  return tf.mul(tf.sum(pNull), -factor / n) as Scalar;
}

/**
 * TC-MoE balance (golden README §5.6, with LibMoE's two reduction bugs fixed): per sequence,
 *   p̃ = p[:, :2E] / Σ_{j<2E} p_j,  P_base[b,e] = mean_t p̃[e] + mean_t p̃[E+e]
 *   f[b,e] = #{(t,k): idx<2E, idx mod E = e} / #{(t,k): idx<2E}
 *   L = mean_b Σ_e f·P_base   (no E factor: uniform → 1/E)
 */
export function tcBalance(probs: Tensor2D, idx: Int32Array, nExperts: number, batch: number, seqLen: number, k: number): Scalar {
  const e = nExperts;
  const n = probs.shape[0];
  const f = new Float32Array(batch * e);
  for (let b = 0; b < batch; b++) {
    let total = 0;
    for (let i = b * seqLen * k; i < (b + 1) * seqLen * k; i++) {
      const j = idx[i]!;
      if (j >= 0 && j < 2 * e) { f[b * e + (j % e)]! += 1; total++; }
    }
    for (let j = 0; j < e; j++) f[b * e + j] = f[b * e + j]! / (total + 1e-20);
  }
  const real = tf.slice(probs, [0, 0], [n, 2 * e]);
  const norm = tf.div(real, tf.add(tf.sum(real, 1, true), 1e-20));
  const mean = tf.mean(tf.reshape(norm, [batch, seqLen, 2 * e]), 1);
  const base = tf.add(tf.slice(mean, [0, 0], [batch, e]), tf.slice(mean, [0, e], [batch, e]));
  return tf.div(tf.sum(tf.mul(base, tf.tensor2d(f, [batch, e]))), batch) as Scalar;
}
