import { tf, type Tensor2D } from '../tf.js';

/** LayerNorm over the last axis of [N, D] (biased variance, as torch.nn.LayerNorm). */
export function layerNorm(x: Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, eps: number): Tensor2D {
  const mean = tf.mean(x, 1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), 1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta) as Tensor2D;
}
