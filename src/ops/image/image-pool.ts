import { Worker } from 'node:worker_threads';
import { ImageError } from './decode-image.js';
import type { ImageJob, ImageReply, ImageRequest, RecycleMessage } from './image-protocol.js';
import { type ImageTensor, preprocessImage } from './preprocess.js';

/** What a job still queued or running gets when its pool is closed: nothing more will come. */
export class PoolClosedError extends Error {
  constructor() {
    super('image pool: closed');
    this.name = 'PoolClosedError';
  }
}

interface Pending {
  readonly resolve: (tensor: ImageTensor) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Buffers of this worker's results that nobody holds any more, to send back on the next flush. */
  readonly returned: ArrayBuffer[];
}

/** How many results' buffers were reused rather than allocated (`ImagePool.stats`). */
export interface PoolStats {
  readonly results: number;
  readonly reused: number;
}

/**
 * Image preprocessing in worker threads: sharp decodes on libuv's threads, but the PIL-exact
 * resize and the normalisation are JavaScript, and would otherwise hold the thread that feeds
 * the trainer. A job goes to the worker with the fewest jobs queued. Results do not depend on
 * which worker ran a job (every step is a pure function of the file and the options).
 * With `size` 0 the jobs run on the calling thread. Idle workers do not hold the process open.
 * `close()` (a consumer stopping early, an abort) rejects every job still in flight with
 * `PoolClosedError` before terminating the workers, so no caller waits on a promise that can
 * no longer settle.
 *
 * Buffers are reused. Once a result's `data` array has been garbage-collected (its consumer
 * copied it into a batch and dropped it), its ArrayBuffer goes back to the worker that made it,
 * which writes a later image into it: a fresh 1.35 MB array costs more in page faults than the
 * resize. Keep the `Float32Array` itself, not only its `.buffer`, for as long as you read it:
 * a buffer whose array was collected is handed back (detached here).
 */
export class ImagePool {
  private readonly workers: PoolWorker[];
  private nextId = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private results = 0;
  private reused = 0;
  private flushQueued = false;
  /** Result arrays → their buffer and worker; the arrays are held weakly, the buffers strongly. */
  private readonly registry = new FinalizationRegistry<{ buffer: ArrayBuffer; owner: PoolWorker }>(({ buffer, owner }) => {
    if (this.closed) return;
    owner.returned.push(buffer);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flushReturned());
    }
  });

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`image pool: size must be a non-negative integer, got ${size}`);
    this.workers = Array.from({ length: size }, () => this.spawn());
  }

  run(job: ImageJob): Promise<ImageTensor> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    if (this.workers.length === 0) return preprocessImage(job.path, job.spec, job);
    const target = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.ref();
      const request: ImageRequest = { ...job, id };
      target.worker.postMessage(request);
    });
  }

  /** Results delivered so far, and how many of them were written into a reused buffer. */
  stats(): PoolStats {
    return { results: this.results, reused: this.reused };
  }

  /** Sends each worker its returned buffers (transferred: they are detached on this thread). */
  private flushReturned(): void {
    this.flushQueued = false;
    if (this.closed) return;
    for (const w of this.workers) {
      if (w.returned.length === 0) continue;
      const recycle = w.returned.splice(0);
      const message: RecycleMessage = { recycle };
      w.worker.postMessage(message, recycle);
    }
  }

  /** Rejects the jobs in flight (`PoolClosedError`) and terminates the workers. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    const error = new PoolClosedError();
    for (const w of this.workers) {
      // Settled before the workers go: a terminated worker never answers them.
      for (const waiter of w.pending.values()) waiter.reject(error);
      w.pending.clear();
    }
    // An idle worker is unref'd, and so is its termination: without a ref, a process with
    // nothing else to do would exit with `close()` still pending (its awaiting code never runs).
    this.closing = Promise.all(this.workers.map((w) => { w.worker.ref(); return w.worker.terminate(); })).then(() => undefined);
    return this.closing;
  }

  private spawn(): PoolWorker {
    const worker = new Worker(new URL('./image-worker.js', import.meta.url));
    const pending = new Map<number, Pending>();
    const self: PoolWorker = { worker, pending, returned: [] };
    worker.unref();
    worker.on('message', (reply: ImageReply) => {
      const waiter = pending.get(reply.id);
      if (waiter === undefined) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if ('error' in reply) {
        // Keep the reason: the operator counts skips by it.
        const error = reply.reason ? Object.assign(new ImageError(reply.reason, '', ''), { message: reply.error }) : new Error(reply.error);
        return waiter.reject(error);
      }
      this.results++;
      if (reply.reused) this.reused++;
      this.registry.register(reply.data, { buffer: reply.data.buffer as ArrayBuffer, owner: self });
      waiter.resolve({ data: reply.data, shape: reply.shape });
    });
    const failAll = (error: Error): void => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    };
    worker.on('error', (error) => failAll(new Error(`image pool: worker failed: ${error.message}`)));
    worker.on('exit', (code) => { if (!this.closed) failAll(new Error(`image pool: worker exited with code ${code}`)); });
    return self;
  }
}
