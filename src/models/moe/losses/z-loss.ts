import { tf, type Scalar, type Tensor2D } from '../../tf.js';

/** Router z-loss: mean over tokens of logsumexp(l)² (ST-MoE; LibMoE VLM routers). */
export function routerZLoss(logits: Tensor2D): Scalar {
  return tf.mean(tf.square(tf.logSumExp(logits, 1))) as Scalar;
}
