import { tf, type Tensor2D } from '../tf.js';
import { matMul2D } from '../kernels/fast-matmul.js';

/** Dense FFN relu(x·W1)·W2 without biases: the same function as one LibMoE relu-kv expert, so it can be upcycled. */
export function denseFfn(x: Tensor2D, w1: tf.Tensor, w2: tf.Tensor): Tensor2D {
  return matMul2D(tf.relu(matMul2D(x, w1 as Tensor2D)), w2 as Tensor2D);
}
