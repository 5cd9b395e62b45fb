import { tf, type Tensor2D } from '../tf.js';

/**
 * Mean next-token cross-entropy of logits [N, V] against integer targets [N]:
 * mean(logsumexp(logits) − logits[target]). The custom gradient (softmax − onehot) / N keeps
 * only the logits for the backward pass: at LibMoE sizes (16k tokens × 8000 vocab per
 * micro-batch) every [N, V] temporary is 0.5 GB, and the built-in chain saves several.
 */
export function crossEntropy(logits: Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [n, vocab] = logits.shape;
  const ce = tf.customGrad(((l: Tensor2D, save: tf.GradSaveFunc) => {
    save([l, targets]);
    const flatIdx = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(vocab, 'int32')), targets);
    const picked = tf.gather(tf.reshape(l, [n * vocab]), flatIdx);
    // logsumexp = m + log Σ exp(l − m) = m − log(max softmax(l)): the softmax's largest entry is
    // exp(0)/Σ. tfjs-wasm's Softmax (XNNPACK) runs ~7× faster than its Exp over [N, V], which
    // was the costliest kernel of a quickstart step; max softmax ≥ 1/V, so the log is safe.
    const m = tf.max(l, 1);
    const logSum = tf.neg(tf.log(tf.max(tf.softmax(l), 1)));
    return {
      value: tf.mean(tf.sub(tf.add(m, logSum), picked)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [sl, st]: tf.Tensor[]) => tf.mul(tf.sub(tf.softmax(sl as Tensor2D), tf.oneHot(st as tf.Tensor1D, vocab)), tf.div(dy, n)),
    };
  }) as never) as unknown as (l: Tensor2D) => tf.Scalar;
  return ce(logits);
}

/** Count of positions whose arg-max logit is the target (no gradient). */
export function correctCount(logits: Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), targets), 'float32')) as tf.Scalar;
}
