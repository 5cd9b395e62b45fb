import { tf, type Tensor2D } from '../tf.js';
import { matMul2D } from '../kernels/fast-matmul.js';

/** Phi3MLP's weights in transformers' layout (no biases). */
export interface Phi3MlpWeights {
  /** `gate_up_proj.weight` [2I, D]: the gate block's rows, then the up block's. */
  readonly gateUp: tf.Tensor;
  /** `down_proj.weight` [D, I]. */
  readonly down: tf.Tensor;
}

/** Phi3MLP: down(up ⊙ silu(gate)) with [gate | up] = x·gate_upᵀ. x [N, D] → [N, D]. */
export function phi3Mlp(x: Tensor2D, w: Phi3MlpWeights): Tensor2D {
  const gateUp = matMul2D(x, tf.transpose(w.gateUp) as Tensor2D);
  const [gate, up] = tf.split(gateUp, 2, 1) as [Tensor2D, Tensor2D];
  const silu = tf.mul(gate, tf.sigmoid(gate));
  return matMul2D(tf.mul(up, silu) as Tensor2D, tf.transpose(w.down) as Tensor2D);
}
