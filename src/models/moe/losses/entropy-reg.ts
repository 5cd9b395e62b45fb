import { tf, type Scalar, type Tensor2D } from '../../tf.js';

export type EntropyMode = 'step' | 'time' | 'global';

/**
 * LibMoE's LM entropy regulariser before λ: −H of the routing distribution π = softmax(l)
 * (golden README §5.16). `step`: mean over tokens of the per-token entropy; `time`: mean over
 * sequences of the entropy of the sequence-average π; `global`: entropy of the batch-average π.
 * Minimising −H pushes towards uniform routing.
 */
export function entropyReg(logits: Tensor2D, mode: EntropyMode, batch: number, seqLen: number): Scalar {
  const e = logits.shape[1];
  if (mode === 'step') {
    const logp = tf.logSoftmax(logits);
    const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
    return tf.neg(tf.mean(h)) as Scalar;
  }
  const p = tf.softmax(logits);
  const avg = mode === 'time' ? tf.mean(tf.reshape(p, [batch, seqLen, e]), 1) : tf.mean(p, 0, true);
  const h = tf.neg(tf.sum(tf.mul(avg, tf.log(avg)), -1));
  return tf.neg(tf.mean(h)) as Scalar;
}
