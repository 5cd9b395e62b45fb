/**
 * Runs code as if on a backend without synchronous read-back (webgpu in Node): while `fn` runs,
 * `dataSync`, `arraySync` and `bufferSync` on any tensor throw, whatever the backend; `data()`,
 * `array()` and `buffer()` still work. What passes under it reads nothing synchronously.
 * Backend kernels that read their inputs internally (cpu, wasm) are untouched: they are not
 * read-backs on a GPU backend.
 */
import { tf } from '../../src/models/tf.js';

export class ForbiddenSyncRead extends Error {
  constructor(method: string) {
    super(`synchronous read-back (${method}) while sync reads are forbidden`);
    this.name = 'ForbiddenSyncRead';
  }
}

const METHODS = ['dataSync', 'arraySync', 'bufferSync'] as const;

export async function withoutSyncReads<T>(fn: () => Promise<T> | T): Promise<T> {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const saved = METHODS.map((m) => proto[m]);
  for (const m of METHODS) proto[m] = () => { throw new ForbiddenSyncRead(m); };
  try {
    return await fn();
  } finally {
    METHODS.forEach((m, i) => (proto[m] = saved[i]));
  }
}
