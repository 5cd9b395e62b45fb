import { tf } from './tf.js';

/**
 * Synchronous read-backs (`dataSync`, `arraySync`) on the webgpu backend go through
 * tfjs-backend-webgpu's `readSync`, which copies via `OffscreenCanvas`: Node has none, so they
 * fail there with "OffscreenCanvas is not defined" deep inside a step. Every model path that
 * reads synchronously calls this first, so webgpu fails at once, naming the site and the async
 * alternative. A tensor still held on the host by the backend (`values` set, e.g. small CPU-
 * forwarded results) would read fine, but no model path relies on that.
 */
export class SyncReadbackError extends Error {
  constructor(readonly site: string, backendName: string) {
    super(`synchronous read-back at ${site} is not possible on the "${backendName}" backend in Node ` +
      '(tfjs-backend-webgpu reads synchronously through OffscreenCanvas); this path needs an async read (await t.data())');
    this.name = 'SyncReadbackError';
  }
}

/** Backends whose synchronous read-back does not work in Node. */
export const ASYNC_ONLY_BACKENDS: readonly string[] = ['webgpu'];

/** Throws SyncReadbackError when the current (or given) backend cannot read synchronously. */
export function assertSyncReadable(site: string, backendName: string = tf.getBackend()): void {
  if (ASYNC_ONLY_BACKENDS.includes(backendName)) throw new SyncReadbackError(site, backendName);
}

/** `t.dataSync()` behind the guard. */
export function readSyncGuarded(t: tf.Tensor, site: string): ReturnType<tf.Tensor['dataSync']> {
  assertSyncReadable(site);
  return t.dataSync();
}
