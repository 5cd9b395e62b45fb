import { tf } from './tf.js';

/** tfjs-backend-wasm is a 32-bit WebAssembly build: its heap cannot grow past 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

/** float32 weight + gradient + AdamW's two moments: what a trained parameter holds between steps. */
export const TRAINED_PARAM_BYTES = 16;
/** A frozen parameter (VlmTrainer's `trainable` leaves it out) has no gradient and no moments: its float32 weight only. */
export const FROZEN_PARAM_BYTES = 4;

/**
 * Turns the wasm backend's out-of-memory symptoms ("Aborted()", "memory access out of bounds")
 * into an error that says what ran out and what to do; other errors are returned unchanged.
 * Weights, gradients and the two AdamW moments alone take 16 bytes per parameter.
 */
export function explainBackendFailure(error: unknown, parameters: number, where: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (tf.getBackend() !== 'wasm' || !/Aborted\(\)|memory access out of bounds|Out of memory|Cannot enlarge memory/i.test(message)) return error;
  const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(2);
  return new Error(
    `${where}: the wasm backend ran out of its ${gib(WASM_HEAP_LIMIT_BYTES)} GiB heap ` +
      `(${(parameters / 1e6).toFixed(1)}M parameters: weights, gradients and AdamW moments alone take ${gib(TRAINED_PARAM_BYTES * parameters)} GiB, ` +
      `activations come on top). Use fewer tokens per micro-batch (data.batchSize with trainer.accumulate, or data.seqLen), ` +
      `a smaller model, or a backend without this limit (tensorflow, webgpu, or the slow cpu). [${message}]`,
    { cause: error },
  );
}
