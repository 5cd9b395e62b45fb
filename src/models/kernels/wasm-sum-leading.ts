import { tf } from '../tf.js';
import { heapView, replaceWasmKernel, type KernelFunc, type WasmBackend } from './wasm-heap.js';

/**
 * tfjs-backend-wasm sums over any axis but the innermost by transposing the input first: the
 * gradient of every broadcast bias, gain and scale ([N, D] summed over rows) paid a full
 * [N, D] → [D, N] transpose, about 1.1 ms for 1024×128, and sixteen of them per quickstart step.
 * Here a float32 input reduced over a leading run of axes (axis 0 of [N, D], or 0 and 1 of
 * [B, T, D]) is summed row by row into the output, reading the heap in place, in the stock
 * kernel's order: each output is accumulated in float32 over the rows in order, so the numbers
 * are the stock kernel's, bit for bit (tested). Every other case goes to the stock kernel.
 */
let stockSum: KernelFunc | undefined;

export function sumLeadingAxesOnWasm(): void {
  stockSum = replaceWasmKernel('Sum', sumKernel as never);
}

function sumKernel(args: { inputs: { x: tf.TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: WasmBackend }): tf.TensorInfo {
  const { x } = args.inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(args.attrs.axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return stockSum!(args as never) as tf.TensorInfo;
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  const kept = x.shape.slice(axes.length);
  const cols = kept.reduce((a, b) => a * b, 1);
  const outShape = args.attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept;
  const out = args.backend.makeOutput(outShape, 'float32');
  // Views after makeOutput: an allocation can grow (and so replace) the heap's buffer.
  const dst = heapView(args.backend, out, cols) as Float32Array;
  if (rows * cols === 0) { dst.fill(0); return out; }
  const src = heapView(args.backend, x, rows * cols) as Float32Array;
  // Float32Array stores round every partial sum to float32, as the stock kernel's float accumulator does.
  dst.set(src.subarray(0, cols));
  for (let r = 1; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) dst[c] += src[base + c]!;
  }
  return out;
}
