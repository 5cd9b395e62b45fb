import { tf, type Scalar, type Tensor2D } from '../../tf.js';
import { logSumExpRows } from '../../kernels/log-sum-exp.js';

/** Router z-loss: mean over tokens of logsumexp(l)² (ST-MoE; LibMoE VLM routers). */
export function routerZLoss(logits: Tensor2D): Scalar {
  return tf.mean(tf.square(logSumExpRows(logits))) as Scalar;
}
