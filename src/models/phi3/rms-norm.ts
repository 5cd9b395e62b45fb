import { tf, type Tensor2D } from '../tf.js';

/**
 * Phi3RMSNorm: `w · x / √(mean(x²) + eps)` over the last axis. transformers normalises in
 * float32 and casts back before the weight multiply; a float32 model computes exactly that.
 */
export function rmsNorm(x: Tensor2D, weight: tf.Tensor, eps: number): Tensor2D {
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), eps));
  return tf.mul(weight, tf.mul(x, inv)) as Tensor2D;
}
