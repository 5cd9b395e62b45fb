import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf } from './tf.js';
import { shareIdentityOnWasm } from './kernels/wasm-identity.js';
import { sliceFromHeapOnWasm } from './kernels/wasm-slice.js';
import { sumLeadingAxesOnWasm } from './kernels/wasm-sum-leading.js';
import { gatherByCopyOnWasm } from './kernels/wasm-gather.js';
import { dawnRuntimeDir, probeDawnAdapter } from './dawn-probe.js';
import { installNavigatorGpu, type GpuLike } from './webgpu-shim.js';
import { useThreadedWasm, wasmThreadsInUse } from './wasm-threads.js';
import { disableNativeMatMul, enableNativeMatMul } from './kernels/native-matmul.js';

/** Backends in order of preference when the user asks for `auto`. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendChoice {
  readonly name: BackendName;
  /** Why this one: shown at start and saved with the run. */
  readonly reason: string;
  /** For `auto`: every backend tried before this one and why it was passed over. */
  readonly skipped: readonly { readonly name: BackendName; readonly why: string }[];
}

type Probe = { ok: true; detail: string } | { ok: false; why: string };

export interface BackendOptions {
  /**
   * Threads for the wasm backend's matrix kernels (XNNPACK's pool in tfjs's threaded SIMD
   * binary; src/models/wasm-threads.ts). 1, the default, is the stock single-threaded binary;
   * the other backends ignore it (tensorflow and webgpu bring their own parallelism).
   */
  readonly threads?: number;
  /**
   * Who multiplies matrices on the wasm backend. 'onnxruntime': ONNX Runtime's native CPU GEMM
   * (the optional onnxruntime-node package; src/models/kernels/native-matmul.ts), with `threads`
   * threads per product; fails if it cannot load. 'xnnpack': tfjs-wasm's own. 'auto' (default):
   * onnxruntime when it loads, else xnnpack (the reason is in the backend's detail).
   */
  readonly matmul?: MatMulRequest;
}

export const MATMUL_REQUESTS = ['auto', 'onnxruntime', 'xnnpack'] as const;
export type MatMulRequest = (typeof MATMUL_REQUESTS)[number];

/** MOEFLOW_MATMUL: the wasm matMul for callers that pass none (eval, analyze, benches, workers). */
function matmulFromEnv(): MatMulRequest | undefined {
  const v = process.env['MOEFLOW_MATMUL'];
  if (v === undefined || v === '') return undefined;
  if (!(MATMUL_REQUESTS as readonly string[]).includes(v)) throw new Error(`MOEFLOW_MATMUL: expected one of ${MATMUL_REQUESTS.join(', ')}, got "${v}"`);
  return v as MatMulRequest;
}

/** MOEFLOW_WASM_THREADS: the thread count for callers that pass none (eval, analyze, benches). */
function threadsFromEnv(): number | undefined {
  const v = process.env['MOEFLOW_WASM_THREADS'];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`MOEFLOW_WASM_THREADS: expected a positive integer, got "${v}"`);
  return n;
}

/**
 * Select and initialise a backend. `auto` tries tensorflow → webgpu → wasm → cpu and keeps
 * the first that initialises, recording why each earlier one was skipped; an explicit name
 * fails loudly (with the reason) if it cannot start.
 */
export async function selectBackend(request: BackendRequest = 'auto', options: BackendOptions = {}): Promise<BackendChoice> {
  const threads = options.threads ?? threadsFromEnv() ?? 1;
  const matmul = options.matmul ?? matmulFromEnv() ?? 'auto';
  if (request !== 'auto') {
    const probe = await PROBES[request](threads, matmul);
    if (!probe.ok) throw new Error(`backend "${request}" could not start: ${probe.why}`);
    return { name: request, reason: `requested (${probe.detail})`, skipped: [] };
  }
  const skipped: { name: BackendName; why: string }[] = [];
  for (const name of AUTO_ORDER) {
    const probe = await PROBES[name](threads, matmul);
    if (probe.ok) {
      const passed = skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
      return { name, reason: `auto: first backend that initialised (${probe.detail})${passed ? `; skipped ${passed}` : ''}`, skipped };
    }
    skipped.push({ name, why: probe.why });
  }
  throw new Error(`no backend could start: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}`);
}

/** Each backend's start-up; `threads` and `matmul` concern wasm only (the others bring their own kernels and parallelism). */
const PROBES: Record<BackendName, (threads: number, matmul: MatMulRequest) => Promise<Probe>> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

/** Imports a package that may not be installed without TypeScript resolving it at build time. */
async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

/**
 * Native TensorFlow (libtensorflow via tfjs-node-gpu or tfjs-node). Not a dependency: its
 * install downloads libtensorflow, so it is used only when the user installed it (docs/models.md).
 */
async function tryTensorflow(): Promise<Probe> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(pkg);
    } catch (e) {
      reasons.push(notInstalled(e) ? `${pkg} not installed` : `${pkg} failed to load (${firstLine(e)})`);
      continue;
    }
    try {
      if (tf.findBackend('tensorflow') === null) {
        reasons.push(`${pkg} loaded but registered no "tensorflow" backend in this tfjs-core (version mismatch with tfjs-core ${tf.version_core}?)`);
        continue;
      }
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return { ok: true, detail: `${pkg}` };
      }
      reasons.push(`${pkg}: tf.setBackend("tensorflow") returned false`);
    } catch (e) {
      reasons.push(`${pkg}: ${firstLine(e)}`);
    }
  }
  return { ok: false, why: reasons.join('; ') };
}

/**
 * WebGPU through Dawn (`webgpu` package) + tfjs-backend-webgpu, both optional dependencies.
 * A child process asks Dawn for an adapter first (see dawn-probe.ts): a machine without a usable
 * GPU falls through quietly, with Dawn's complaint kept as one line in the reason, instead of
 * Dawn writing to our stderr. Dawn is loaded in this process only when the child found an adapter.
 */
async function tryWebgpu(): Promise<Probe> {
  // On Linux Dawn finds GPUs only through the Vulkan loader: without it there is nothing to probe.
  if (process.platform === 'linux' && !vulkanLoaderPresent()) {
    return { ok: false, why: 'no WebGPU adapter possible: no Vulkan loader (libvulkan.so.1) on this machine' };
  }
  let dawnEntry: string;
  try {
    dawnEntry = createRequire(import.meta.url).resolve('webgpu');
  } catch (e) {
    return { ok: false, why: notInstalled(e) ? 'optional package "webgpu" not installed' : `package "webgpu" cannot be resolved (${firstLine(e)})` };
  }
  const probe = probeDawnAdapter(dawnEntry);
  if (!probe.adapter) return { ok: false, why: probe.why };
  // Dawn stays loaded for the run: its XDG_RUNTIME_DIR must stay valid, so it is not removed early.
  const runtimeDir = dawnRuntimeDir();
  process.env['XDG_RUNTIME_DIR'] = runtimeDir.path;
  process.once('exit', runtimeDir.release);
  let dawn: { create: (flags: string[]) => { requestAdapter(): Promise<unknown> }; globals: Record<string, unknown> };
  try {
    dawn = (await importOptional('webgpu')) as typeof dawn;
  } catch (e) {
    return { ok: false, why: `package "webgpu" failed to load (${firstLine(e)})` };
  }
  try {
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter();
    if (adapter === null || adapter === undefined) return { ok: false, why: 'no WebGPU adapter in this process (the probe found one)' };
    Object.assign(globalThis, dawn.globals);
    // Before the import: tfjs-backend-webgpu registers only if navigator.gpu exists then; the
    // wrapper flattens the nested ['bgra8unorm-storage'] it puts in requiredFeatures (webgpu-shim.ts).
    installNavigatorGpu(gpu as unknown as GpuLike);
    await importWebgpuBackend();
    if (!(tf.engine().registryFactory as Record<string, unknown>)['webgpu']) {
      return { ok: false, why: 'tfjs-backend-webgpu loaded but registered no "webgpu" backend (navigator.gpu missing at import?)' };
    }
    if (!(await tf.setBackend('webgpu'))) return { ok: false, why: 'tf.setBackend("webgpu") returned false' };
    await tf.ready();
    return { ok: true, detail: `Dawn adapter: ${probe.description}` };
  } catch (e) {
    return { ok: false, why: `webgpu init failed: ${firstLine(e)}` };
  }
}

/** tfjs-backend-webgpu (an optional dependency), through a module esbuild can bundle. */
async function importWebgpuBackend(): Promise<void> {
  await import('./webgpu-register.js');
}

/** Whether libvulkan.so.1 is in a standard library folder or on LD_LIBRARY_PATH. */
function vulkanLoaderPresent(): boolean {
  const dirs = [
    ...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu',
    '/usr/lib64', '/usr/lib', '/lib64', '/lib', '/usr/local/lib',
  ];
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

async function tryWasm(threads: number, matmul: MatMulRequest): Promise<Probe> {
  try {
    const wasmPkg = await import('@tensorflow/tfjs-backend-wasm');
    // Point the loader at the .wasm files inside node_modules: nothing is fetched.
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasmPkg.setWasmPaths(join(dir, 'dist') + '/');
    // Native products bring their own threads: the threaded wasm binary is only for XNNPACK's.
    const native = matmul === 'xnnpack' ? disableNativeMatMul() : await enableNativeMatMul(threads);
    if (matmul === 'onnxruntime' && typeof native === 'string') return { ok: false, why: `matmul "onnxruntime": ${native}` };
    const nativeInfo = typeof native === 'object' ? native : undefined;
    if (threads > 1 && nativeInfo === undefined) useThreadedWasm(threads);
    shareIdentityOnWasm();
    sliceFromHeapOnWasm();
    sumLeadingAxesOnWasm();
    gatherByCopyOnWasm();
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok) return { ok: false, why: 'tf.setBackend("wasm") returned false' };
    if (nativeInfo !== undefined) return { ok: true, detail: `wasm SIMD, matMul by ${nativeInfo.library} on ${nativeInfo.threads} thread${nativeInfo.threads > 1 ? 's' : ''}` };
    const pool = wasmThreadsInUse();
    const why = typeof native === 'string' ? `; matMul by XNNPACK: ${native}` : '';
    return { ok: true, detail: (pool > 1 ? `wasm SIMD, ${pool} threads (XNNPACK pool, threaded binary)` : 'wasm SIMD, 1 thread') + why };
  } catch (e) {
    return { ok: false, why: firstLine(e) };
  }
}

async function tryCpu(): Promise<Probe> {
  const ok = await tf.setBackend('cpu');
  await tf.ready();
  if (!ok) return { ok: false, why: 'tf.setBackend("cpu") returned false' };
  // tfjs-backend-cpu prints an "install tfjs-node" banner on its first tensor write; the
  // choice was deliberate (and reported), so the banner is noise.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { ok: true, detail: 'pure JS' };
}

function notInstalled(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}
