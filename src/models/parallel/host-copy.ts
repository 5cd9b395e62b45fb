import { tf } from '../tf.js';

/**
 * Copies between tensors and shared float32 buffers without the backend's read path where it
 * can: on wasm a float32 tensor's values are read straight from the wasm heap (readSync would
 * allocate and copy a fresh buffer per tensor: ~16 ms per step for the quickstart's 1M
 * parameters against 0.2 ms from the heap), and a tensor is made from a view of the buffer
 * (wasm copies it into its heap anyway). Other backends take the ordinary paths.
 */
interface WasmBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/** dst[offset …] ← t's values (float32). */
export async function copyOut(t: tf.Tensor, dst: Float32Array, offset: number): Promise<void> {
  if (tf.getBackend() === 'wasm' && t.dtype === 'float32') {
    const be = tf.backend() as unknown as WasmBackend;
    const info = be.dataIdMap.get(t.dataId);
    if (info) {
      dst.set(new Float32Array(be.wasm.HEAPU8.buffer, info.memoryOffset, t.size), offset);
      return;
    }
  }
  dst.set((await t.data()) as Float32Array, offset);
}

/** A new tensor holding src[offset, offset + size) (a copy: later writes to `src` do not change it). */
export function tensorFrom(src: Float32Array, offset: number, shape: readonly number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  // wasm copies the values into its heap; the cpu backend (and others) may keep the array, so it gets its own.
  const values = tf.getBackend() === 'wasm' ? src.subarray(offset, offset + size) : src.slice(offset, offset + size);
  return tf.tensor(values, shape as number[], 'float32');
}
