import { tf } from '../tf.js';
import { heapView, replaceWasmKernel, type KernelFunc, type WasmBackend } from './wasm-heap.js';

/**
 * tfjs-backend-wasm's GatherV2 walks the output element by element through strided index
 * arithmetic: about 30 ns per element, 4 ms to look up 1024 embedding rows of 128 (measured in
 * a quickstart step), where copying the rows takes a tenth of that. This kernel copies runs of
 * the innermost dimensions straight between views of the heap; values are moved, never
 * computed, so results are the stock kernel's. `batchDims` > 0 and strings go to the stock
 * kernel. An index outside [0, size) is an error naming it (the stock kernel reads past the row).
 */
let stockGather: KernelFunc | undefined;

export function gatherByCopyOnWasm(): void {
  stockGather = replaceWasmKernel('GatherV2', gatherKernel as never);
}

function gatherKernel(args: { inputs: { x: tf.TensorInfo; indices: tf.TensorInfo }; attrs: { axis: number; batchDims?: number }; backend: WasmBackend }): tf.TensorInfo {
  const { x, indices } = args.inputs;
  if ((args.attrs.batchDims ?? 0) !== 0 || x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') return stockGather!(args as never) as tf.TensorInfo;
  const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
  const size = x.shape[axis]!;
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = indices.shape.reduce((a, b) => a * b, 1);
  const out = args.backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  if (outer * n * inner === 0) return out;
  // Views after makeOutput: an allocation can grow (and so replace) the heap's buffer.
  const src = heapView(args.backend, x, outer * size * inner);
  const dst = heapView(args.backend, out, outer * n * inner);
  const idx = heapView(args.backend, indices, n) as Int32Array;
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    if (k < 0 || k >= size) throw new Error(`GatherV2: the index value ${k} (position ${i}) is not in [0, ${size - 1}]`);
  }
  for (let o = 0; o < outer; o++) {
    const from = o * size * inner;
    const to = o * n * inner;
    if (inner >= 16) {
      for (let i = 0; i < n; i++) dst.set(src.subarray(from + idx[i]! * inner, from + (idx[i]! + 1) * inner), to + i * inner);
    } else {
      for (let i = 0; i < n; i++) {
        const s = from + idx[i]! * inner;
        const d = to + i * inner;
        for (let j = 0; j < inner; j++) dst[d + j] = src[s + j]!;
      }
    }
  }
  return out;
}
