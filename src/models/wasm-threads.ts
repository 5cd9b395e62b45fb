import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { tf } from './tf.js';

/**
 * The wasm backend on several cores: tfjs-backend-wasm ships a threaded SIMD binary (XNNPACK
 * with a pthreadpool) but never uses it in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag answers
 * false under Node, tfjs issue 3830). Three things stand in the way, each handled here:
 *
 * - tfjs hands Emscripten the pthread worker script as a `blob:` URL, which Node's
 *   worker_threads cannot open: the script (shipped inside the package as a string) is written
 *   once to a file in the temp folder, named by its content hash, and located from there;
 * - the binary caps its pool at `emscripten_num_logical_cores() / 2` (it assumes two hardware
 *   threads per core), read once when the module starts: `os.cpus()` is made to report twice
 *   the wanted count for the moment the module instantiates, then restored;
 * - the stock `wasm` factory always builds the single-threaded module: it is replaced under the
 *   same name, so every kernel registered for `wasm` (tfjs's and ours) keeps working;
 * - the pool's pthread workers stay referenced for the backend's life, which keeps Node from
 *   exiting: they are unreferenced once the pool exists.
 *
 * XNNPACK splits a matrix multiply by output tiles, each computed whole by one thread in the
 * same order, so the results are the single-threaded binary's bits (tested). Only XNNPACK's
 * kernels (matMul, fused matMul, conv, some elementwise ops) use the pool; the rest stays on
 * the calling thread.
 */

/** Threads the XNNPACK pool may use; the pthread pool the binary pre-creates has 8 workers. */
export const MAX_WASM_THREADS = 8;

interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: unknown;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
}
type ModuleFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

let registered: number | undefined;

/**
 * Makes the `wasm` backend the threaded binary with a pool of `threads` (1 … 8). Call before the
 * wasm backend first initialises; calling again with the same count is a no-op, with another
 * count after initialisation an error.
 */
export function useThreadedWasm(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads: expected an integer 1…${MAX_WASM_THREADS}, got ${threads}`);
  }
  if (registered === threads) return;
  if (registered !== undefined || tf.engine().registry['wasm'] !== undefined) {
    throw new Error(`wasm threads: the wasm backend already started${registered ? ` with ${registered} threads` : ''}; set the thread count before its first use`);
  }
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const wasmPkg = require('@tensorflow/tfjs-backend-wasm') as {
    BackendWasm: new (module: unknown) => tf.KernelBackend;
    setThreadsCount(n: number): void;
  };
  const factory = require(join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js')) as ModuleFactory;
  const workerScript = pthreadWorkerScript(require, pkgDir);
  const mainScript = join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const binary = join(pkgDir, 'dist/tfjs-backend-wasm-threaded-simd.wasm');

  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    const module = await withReportedCores(2 * threads, () => factory({
      locateFile: (path: string, prefix: string) => path.endsWith('.worker.js') ? workerScript : path.endsWith('.wasm') ? binary : prefix + path,
      mainScriptUrlOrBlob: mainScript,
    }));
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    wasmPkg.setThreadsCount(threads);
    const backend = new wasmPkg.BackendWasm(module);
    // The pool's threads live as long as the backend and Emscripten keeps each running pthread's
    // worker referenced, so Node would never exit on its own: they only serve the main thread.
    for (const w of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) w.unref();
    return backend;
  }, 2);
  registered = threads;
}

/** The XNNPACK pool size of the running wasm backend (1 for the stock binary). */
export function wasmThreadsInUse(): number {
  if (registered === undefined) return 1;
  const require = createRequire(import.meta.url);
  return (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
}

/**
 * The pthread worker script as a file. The package keeps it as a string literal whose `\n`
 * escapes became real newlines inside the script's own string literals; tfjs escapes them back
 * before making its Blob, and so does this.
 */
function pthreadWorkerScript(require: NodeRequire, pkgDir: string): string {
  const { wasmWorkerContents } = require(join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = join(os.tmpdir(), `moeflow-tfjs-wasm-pthread-${hash}.cjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, source);
    renameSync(tmp, file);
  }
  return file;
}

/** Runs `start` while `os.cpus()` lists `count` entries (the module reads it once, at start-up). */
async function withReportedCores<T>(count: number, start: () => Promise<T>): Promise<T> {
  const real = os.cpus;
  const cpus = real();
  os.cpus = () => Array.from({ length: count }, (_, i) => cpus[i % cpus.length]!);
  try {
    return await start();
  } finally {
    os.cpus = real;
  }
}
