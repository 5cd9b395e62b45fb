import { tf, type Tensor2D } from '../tf.js';

/**
 * Mean next-token cross-entropy of logits [N, V] against integer targets [N]
 * (logsumexp − target logit; the one-hot pick keeps the gradient on ops every backend has).
 */
export function crossEntropy(logits: Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const vocab = logits.shape[1];
  const picked = tf.sum(tf.mul(logits, tf.oneHot(targets, vocab)), 1);
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), picked)) as tf.Scalar;
}

/** Count of positions whose arg-max logit is the target (no gradient). */
export function correctCount(logits: Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), targets), 'float32')) as tf.Scalar;
}
