import { Worker } from 'node:worker_threads';
import type { BatchEncoder } from './batch-encoder.js';
import type { EncodeReply, EncodeRequest } from './encoder-protocol.js';

interface Pending {
  readonly resolve: (ids: Int32Array[]) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * The JavaScript BPE in worker threads. A batch goes whole to the worker with the fewest
 * batches queued, so results of one batch stay in order and batches are independent; the
 * caller keeps as many batches in flight as there are workers (`tokenize` does).
 * Workers hold the process open only while they have work.
 */
export class EncoderPool implements BatchEncoder {
  readonly kind = 'js-bpe-workers' as const;
  private readonly workers: PoolWorker[];
  private nextId = 0;
  private closed = false;

  constructor(tokenizerJson: string, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`encoder pool: size must be a positive integer, got ${size}`);
    this.workers = Array.from({ length: size }, () => this.spawn(tokenizerJson));
  }

  encodeBatch(texts: readonly string[]): Promise<Int32Array[]> {
    if (this.closed) return Promise.reject(new Error('encoder pool: closed'));
    if (texts.length === 0) return Promise.resolve([]);
    const target = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.ref();
      const request: EncodeRequest = { id, texts };
      target.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private spawn(json: string): PoolWorker {
    const worker = new Worker(new URL('./encoder-worker.js', import.meta.url), { workerData: { json } });
    const pending = new Map<number, Pending>();
    const self: PoolWorker = { worker, pending };
    worker.unref();
    worker.on('message', (reply: EncodeReply) => {
      const waiter = pending.get(reply.id);
      if (waiter === undefined) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if (reply.error !== undefined) return waiter.reject(new Error(`encoder pool: ${reply.error}`));
      const docs: Int32Array[] = [];
      for (let i = 0; i + 1 < reply.offsets.length; i++) docs.push(reply.ids.subarray(reply.offsets[i]!, reply.offsets[i + 1]!));
      waiter.resolve(docs);
    });
    const failAll = (error: Error): void => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    };
    worker.on('error', (error) => failAll(new Error(`encoder pool: worker failed: ${error.message}`)));
    worker.on('exit', (code) => { if (!this.closed) failAll(new Error(`encoder pool: worker exited with code ${code}`)); });
    return self;
  }
}
