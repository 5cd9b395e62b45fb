import { tf } from '../tf.js';

/**
 * What moeflow's own wasm kernels need of tfjs-backend-wasm: the tensors' places in the heap,
 * and a way to stand in for a stock kernel while keeping it as the fallback. The kernels that
 * use it: wasm-slice, wasm-gather, wasm-sum-leading, native-matmul.
 */

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
}

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** A kernel function as tfjs's registry holds it. */
export type KernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; attrs: Record<string, unknown>; backend: unknown }) => tf.TensorInfo | tf.TensorInfo[];

/**
 * The first `length` elements of `t` (default all) as a view of the heap, typed by its dtype.
 * Take views after every `makeOutput`: an allocation can grow, and so replace, the heap's buffer.
 */
export function heapView(backend: WasmBackend, t: tf.TensorInfo, length = tf.util.sizeFromShape(t.shape)): HeapArray {
  const { memoryOffset } = backend.dataIdMap.get(t.dataId);
  const buffer = backend.wasm.HEAPU8.buffer;
  switch (t.dtype) {
    case 'float32': return new Float32Array(buffer, memoryOffset, length);
    case 'int32': return new Int32Array(buffer, memoryOffset, length);
    case 'bool': return new Uint8Array(buffer, memoryOffset, length);
    default: throw new Error(`wasm heap view: unsupported dtype ${t.dtype}`);
  }
}

const stock = new Map<string, KernelFunc>();

/**
 * Registers `kernel` as the wasm backend's `name`, keeping the stock registration's setup (its
 * wasm function lookups run when the backend starts, which the fallback needs). Returns the stock
 * kernel function, for the cases `kernel` hands back. Calling it again replaces nothing.
 */
export function replaceWasmKernel(name: string, kernel: KernelFunc): KernelFunc {
  const known = stock.get(name);
  if (known !== undefined) return known;
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`the wasm backend has no ${name} kernel to replace`);
  const original = config.kernelFunc as unknown as KernelFunc;
  stock.set(name, original);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...config, kernelFunc: kernel as never });
  return original;
}
