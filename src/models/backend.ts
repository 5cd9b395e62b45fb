import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf } from './tf.js';

/** Backends in order of preference when the user asks for `auto`. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  readonly name: BackendName;
  /** Why this one: shown at start and saved with the run. */
  readonly reason: string;
}

/**
 * Select and initialise a backend. `auto` tries tensorflow → webgpu → wasm → cpu and
 * keeps the first that initialises; an explicit name fails loudly if it cannot start.
 * (The tensorflow/webgpu probes are filled in by the backends work; today they report
 * why they were skipped.)
 */
export async function selectBackend(request: BackendRequest = 'auto'): Promise<BackendChoice> {
  if (request === 'wasm' || request === 'auto') {
    const wasm = await tryWasm();
    if (wasm.ok) return { name: 'wasm', reason: request === 'auto' ? 'auto: first backend that initialised (wasm)' : 'requested' };
    if (request === 'wasm') throw new Error(`backend "wasm" could not start: ${wasm.why}`);
  }
  if (request === 'cpu' || request === 'auto') {
    await tf.setBackend('cpu');
    await tf.ready();
    return { name: 'cpu', reason: request === 'auto' ? 'auto: wasm failed, fell back to cpu' : 'requested' };
  }
  throw new Error(`backend "${request}" is not available in this build`);
}

async function tryWasm(): Promise<{ ok: true } | { ok: false; why: string }> {
  try {
    const wasmPkg = await import('@tensorflow/tfjs-backend-wasm');
    // Point the loader at the .wasm files inside node_modules: nothing is fetched.
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasmPkg.setWasmPaths(join(dir, 'dist') + '/');
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    return ok ? { ok: true } : { ok: false, why: 'tf.setBackend("wasm") returned false' };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}
