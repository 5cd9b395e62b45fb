import { createRequire } from 'node:module';
import { tf } from '../tf.js';
import { fusedMatMulModel } from './onnx-matmul-model.js';
import { heapView, replaceWasmKernel, type KernelFunc, type WasmBackend } from './wasm-heap.js';

/**
 * The wasm backend's BatchMatMul computed by ONNX Runtime's CPU kernels (MLAS: AVX2/AVX-512/NEON
 * GEMM, from the optional `onnxruntime-node` package, prebuilt in its npm tarball), reading the
 * operands from and writing the product into the wasm heap in place: no copy either way.
 *
 * Why: tfjs-wasm's XNNPACK GEMM is WebAssembly SIMD (4 lanes, no FMA) and reaches 20–35 GFLOP/s
 * per core here, MLAS 150–170 (numpy/OpenBLAS: 170–190); an MoE layer's step and an LM's
 * training step are mostly matrix multiplies (bench/matmul, bench/moe-layer, bench/train).
 *
 * One ONNX Runtime session per transpose combination (`com.microsoft.FusedMatMul`, shapes left
 * symbolic), run synchronously through the package's native binding (its public `run` only
 * wraps the same call in a promise; tfjs kernels are synchronous). Its results are those of a
 * native GEMM: not the bits of XNNPACK's (summation order, FMA), the same from run to run on one
 * machine and thread count. int32 products and empty shapes go to the stock kernel; an error
 * ONNX Runtime raises during a product propagates.
 */

interface OrtTensorCtor { new (type: 'float32', data: Float32Array, dims: readonly number[]): unknown }
interface OrtSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): unknown;
  dispose(): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): unknown;
}
interface OrtNative {
  Tensor: OrtTensorCtor;
  newSession(): OrtSession;
}

/** What is in use: shown with the backend at start and saved with the run. */
export interface NativeMatMulInfo {
  readonly library: string;
  readonly threads: number;
}

interface Active { info: NativeMatMulInfo; sessions: OrtSession[]; Tensor: OrtTensorCtor }
let active: Active | undefined;
/** Sessions by thread count: built once (each loads its model). */
const built = new Map<number, Active>();
let stockKernel: KernelFunc | undefined;
/** Products computed natively and handed to the stock kernel, since the process started. */
const counts = { native: 0, stock: 0 };

/** Loads onnxruntime-node's binding, or says why it cannot. */
function loadOrt(): OrtNative | string {
  const require = createRequire(import.meta.url);
  try {
    const common = require('onnxruntime-common') as { Tensor: OrtTensorCtor };
    const { binding, initOrt } = require('onnxruntime-node/dist/binding') as { binding: { InferenceSession: new () => OrtSession }; initOrt(): void };
    initOrt();
    return { Tensor: common.Tensor, newSession: () => new binding.InferenceSession() };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return 'onnxruntime-node is not installed (an optional dependency)';
    return `onnxruntime-node did not load: ${String((e as Error).message).split('\n')[0]}`;
  }
}

async function build(threads: number): Promise<Active | string> {
  const ort = loadOrt();
  if (typeof ort === 'string') return ort;
  const options = {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    // Idle pool threads would spin between products, taking the core the data plane uses.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions: OrtSession[] = [];
  try {
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      const model = fusedMatMulModel(transA, transB);
      const session = ort.newSession();
      await session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, options);
      sessions.push(session);
    }
  } catch (e) {
    return `onnxruntime-node could not build its MatMul: ${String((e as Error).message).split('\n')[0]}`;
  }
  return { info: { library: 'onnxruntime-node (MLAS)', threads }, sessions, Tensor: ort.Tensor };
}

/**
 * Replaces the wasm backend's BatchMatMul with ONNX Runtime's, `threads` threads per product
 * (1: the calling thread only). Returns what is in use, or a string saying why not (then the
 * stock kernel stays). Call before the products whose numbers should come from it.
 */
export async function enableNativeMatMul(threads = 1): Promise<NativeMatMulInfo | string> {
  let next = built.get(threads);
  if (next === undefined) {
    const made = await build(threads);
    if (typeof made === 'string') return made;
    built.set(threads, made);
    next = made;
  }
  stockKernel ??= replaceWasmKernel('BatchMatMul', batchMatMul as never);
  active = next;
  return next.info;
}

/**
 * Back to XNNPACK and every ONNX Runtime session released: what a worker thread does before it
 * ends, so no native session is left for the thread's teardown to finalise.
 */
export function releaseNativeMatMul(): void {
  disableNativeMatMul();
  for (const b of built.values()) for (const session of b.sessions) session.dispose();
  built.clear();
}

/** Back to tfjs-wasm's own BatchMatMul (XNNPACK). Returns undefined. */
export function disableNativeMatMul(): undefined {
  active = undefined;
  return undefined;
}

/** What `enableNativeMatMul` turned on, if anything. */
export function nativeMatMulInUse(): NativeMatMulInfo | undefined {
  return active?.info;
}

/** Products run natively and by the stock kernel so far (tests: the native path really ran). */
export function nativeMatMulCounts(): { readonly native: number; readonly stock: number } {
  return { ...counts };
}

function batchMatMul(args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; attrs: { transposeA?: boolean; transposeB?: boolean }; backend: WasmBackend }): tf.TensorInfo {
  const { a, b } = args.inputs;
  const transA = args.attrs.transposeA === true;
  const transB = args.attrs.transposeB === true;
  const run = active;
  if (run === undefined) return stock(args);
  const rankA = a.shape.length, rankB = b.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || rankA < 2 || rankB < 2) return stock(args);
  const m = transA ? a.shape[rankA - 1]! : a.shape[rankA - 2]!;
  const k = transA ? a.shape[rankA - 2]! : a.shape[rankA - 1]!;
  const kB = transB ? b.shape[rankB - 1]! : b.shape[rankB - 2]!;
  const n = transB ? b.shape[rankB - 2]! : b.shape[rankB - 1]!;
  if (k !== kB) throw new Error(`Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`);
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...batch, m, n];
  if (m === 0 || n === 0 || k === 0) return stock(args);
  const out = args.backend.makeOutput(outShape, 'float32');
  // Views after makeOutput: an allocation can grow (and so replace) the heap's buffer.
  const view = (t: tf.TensorInfo) => heapView(args.backend, t) as Float32Array;
  const session = run.sessions[(transA ? 2 : 0) + (transB ? 1 : 0)]!;
  session.run(
    { A: new run.Tensor('float32', view(a), a.shape), B: new run.Tensor('float32', view(b), b.shape) },
    { Y: new run.Tensor('float32', view(out), outShape) },
    {},
  );
  counts.native++;
  return out;
}

function stock(args: Parameters<typeof batchMatMul>[0]): tf.TensorInfo {
  counts.stock++;
  return stockKernel!(args as never) as tf.TensorInfo;
}
