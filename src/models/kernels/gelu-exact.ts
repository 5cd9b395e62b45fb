import { tf, type Tensor } from '../tf.js';

/**
 * Exact GELU, 0.5·z·(1 + erf(z/√2)) = torch.nn.GELU(approximate='none'), which LibMoE's
 * VLM experts use. Built from ops that all have gradients on cpu and wasm (Erf included),
 * so no custom gradient is needed; tf has no erf-GELU op of its own.
 */
export function geluExact<T extends Tensor>(z: T): T {
  return tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1)) as T;
}
