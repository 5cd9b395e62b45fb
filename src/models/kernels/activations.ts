import { tf, type Tensor } from '../tf.js';
import { geluExact } from './gelu-exact.js';

/**
 * The MLP activations of LibMoE's models under transformers' `hidden_act` names:
 * - `gelu`: exact erf GELU (LibMoE's projector and VLM MoE experts);
 * - `quick_gelu`: x·σ(1.702x), CLIP's (OpenAI's) approximation;
 * - `gelu_pytorch_tanh`: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), SigLIP's.
 */
export const MLP_ACTIVATIONS = ['gelu', 'quick_gelu', 'gelu_pytorch_tanh'] as const;
export type MlpActivation = (typeof MLP_ACTIVATIONS)[number];

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Built from ops with gradients on cpu and wasm, so autodiff handles the backward. */
export function activate<T extends Tensor>(name: MlpActivation, z: T): T {
  switch (name) {
    case 'gelu':
      return geluExact(z);
    case 'quick_gelu':
      return tf.mul(z, tf.sigmoid(tf.mul(z, 1.702))) as T;
    case 'gelu_pytorch_tanh': {
      const inner = tf.mul(tf.add(z, tf.mul(tf.mul(tf.square(z), z), 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(inner), 1)) as T;
    }
  }
}

/** The activation named `name`, or an error listing the known ones. */
export function mlpActivation(name: string): MlpActivation {
  if (!(MLP_ACTIVATIONS as readonly string[]).includes(name)) throw new Error(`unknown MLP activation '${name}'; known: ${MLP_ACTIVATIONS.join(', ')}`);
  return name as MlpActivation;
}
