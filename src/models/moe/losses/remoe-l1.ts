import { tf, type Scalar, type Tensor2D } from '../../tf.js';

/**
 * ReMoE's L1 sparsity loss, per expert (golden README §5.22, fixed reduction):
 *   L1 = E² · Σ_e mean_n(r[n,e]) · #{n: l[n,e] > 0}/N
 * The active fraction is a count (no gradient); the gradient flows through r = relu(l).
 */
export function remoeL1(relu: Tensor2D, activePerExpert: Float32Array): Scalar {
  const [n, e] = relu.shape;
  const frac = Float32Array.from(activePerExpert, (c) => c / n);
  return tf.mul(tf.sum(tf.mul(tf.mean(relu, 0), tf.tensor1d(frac))), e * e) as Scalar;
}
