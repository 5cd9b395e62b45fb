import { tf } from '../tf.js';
import { heapView, replaceWasmKernel, type KernelFunc, type WasmBackend } from './wasm-heap.js';

/**
 * tfjs-backend-wasm slices in JavaScript after `readSync` of the whole input, and `readSync`
 * copies the input out of the wasm heap (`HEAPU8.slice`). `split` runs one slice per piece, so
 * splitting a tensor into n pieces copies all of it n times and leaves n garbage buffers:
 * attention splits q/k/v into heads (columns) and windows (rows) in every layer, forward and
 * backward (a concat's gradient is a split), and evaluation splits a [B·T, T] mask into B
 * windows. Profiled on a PIQA evaluation, `readSync` under `splitV` was half the wall time.
 *
 * These kernels copy each piece straight from a view of the heap: the bytes a slice needs, once.
 * Registered once, replacing the stock Slice and SplitV (strings still go to the stock kernels).
 */
let stockSlice: KernelFunc | undefined;
let stockSplitV: KernelFunc | undefined;

export function sliceFromHeapOnWasm(): void {
  stockSlice = replaceWasmKernel('Slice', sliceKernel as never);
  stockSplitV = replaceWasmKernel('SplitV', splitVKernel as never);
}

function sliceKernel(args: { inputs: { x: tf.TensorInfo }; attrs: { begin: number | number[]; size?: number | number[] }; backend: WasmBackend }): tf.TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockSlice!(args as never) as tf.TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin, args.attrs.size);
  return copySlice(args.backend, x, begin, size);
}

function splitVKernel(args: { inputs: { x: tf.TensorInfo }; attrs: { numOrSizeSplits: number | number[]; axis: number | number[] }; backend: WasmBackend }): tf.TensorInfo[] {
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockSplitV!(args as never) as tf.TensorInfo[];
  const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const out = copySlice(args.backend, x, begin.slice(), size);
    begin[axis]! += s;
    return out;
  });
}

/** out = x[begin : begin + size], read from the heap in runs of the innermost dimension. */
function copySlice(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const n = tf.util.sizeFromShape(size);
  if (n === 0) return out;
  // Views are taken after makeOutput: an allocation can grow (and so replace) the heap buffer.
  const src = heapView(backend, x, tf.util.sizeFromShape(x.shape));
  const dst = heapView(backend, out, n);
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const at = tf.slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(at, at + n));
    return out;
  }
  const inner = size[rank - 1]!;
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let o = 0; o < n; o += inner) {
    let at = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) at += (begin[d]! + index[d]!) * strides[d]!;
    // Short runs element by element: a subarray per run costs more than the copy (and is garbage).
    if (inner >= 16) dst.set(src.subarray(at, at + inner), o);
    else for (let j = 0; j < inner; j++) dst[o + j] = src[at + j]!;
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}
