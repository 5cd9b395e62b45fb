/**
 * A pool of data-parallel gradient workers (worker_threads), each with its own TensorFlow.js
 * backend and a replica of the model. The trainer keeps the one authoritative model and
 * optimiser: before a step it publishes its weights into shared memory; per round each worker
 * computes one micro-batch's gradients into its own shared buffer; the trainer then sums them
 * in micro-batch order — the order its single-process gradient accumulation uses — and applies
 * the update once. A fixed micro-batch split gives the same bits with any worker count.
 */
import { Worker } from 'node:worker_threads';
import { tf, type Variable } from '../tf.js';
import { nativeMatMulInUse } from '../kernels/native-matmul.js';
import type { MicroBatch } from '../lm/micro-batch.js';
import type { MicroBatchStep } from '../lm/micro-batch-grads.js';
import type { GradientWorkers, WorkerGradients } from '../lm/trainer.js';
import type { TransformerLM } from '../lm/transformer-lm.js';
import { copyOut, tensorFrom } from './host-copy.js';
import { replicaProblem } from './replica-safe.js';
import { paramLayout, type ParamLayout, type StepRequest, type WorkerInit, type WorkerReply } from './protocol.js';

export interface GradPoolOptions {
  /** Worker threads (≥ 1). */
  readonly workers: number;
  /** The backend each worker starts (the trainer's: `tf.getBackend()` by default). */
  readonly backend?: string;
  /** The worker script (default: grad-worker.js beside this file); tests substitute one that misbehaves. */
  readonly workerUrl?: URL;
}

interface Member {
  readonly worker: Worker;
  readonly grads: Float32Array;
  /** The request in flight and how to settle it. */
  pending?: { id: number; resolve: (r: WorkerReply & { kind: 'done' }) => void; reject: (e: Error) => void };
}

export class GradPool implements GradientWorkers {
  private readonly weights: Float32Array;
  private weightsVersion = 0;
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;
  /** Each worker's exit code, in rank order, once it has exited (0: it ended itself; 1: terminated). */
  readonly exitCodes: (number | undefined)[];

  private constructor(
    private readonly layout: ParamLayout,
    weights: SharedArrayBuffer,
    private readonly members: Member[],
  ) {
    this.weights = new Float32Array(weights);
    this.exitCodes = members.map(() => undefined);
    members.forEach((m, rank) => m.worker.once('exit', (code) => { this.exitCodes[rank] = code; }));
  }

  /** Starts `workers` threads with replicas of `model`'s architecture; resolves when every one is ready, rejects (and stops them all) if one fails. */
  static async start(model: TransformerLM, opts: GradPoolOptions): Promise<GradPool> {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error(`GradPool: workers must be a positive integer, got ${opts.workers}`);
    const problem = replicaProblem(model);
    if (problem) throw new Error(`data-parallel workers cannot train this model: ${problem}; train it with 1 worker`);
    const names = [...model.params.keys()];
    const layout = paramLayout(names, names.map((n) => model.params.get(n)!.shape));
    const weights = new SharedArrayBuffer(4 * layout.total);
    const backend = opts.backend ?? tf.getBackend();
    const url = opts.workerUrl ?? new URL('./grad-worker.js', import.meta.url);
    const members: Member[] = [];
    const ready: Promise<void>[] = [];
    for (let rank = 0; rank < opts.workers; rank++) {
      const grads = new SharedArrayBuffer(4 * layout.total);
      const init: WorkerInit = { rank, backend, matmul: nativeMatMulInUse() !== undefined ? 'onnxruntime' : 'xnnpack', config: model.config, recompute: model.recomputing, layout, weights, grads };
      const worker = new Worker(url, { workerData: init });
      members.push({ worker, grads: new Float32Array(grads) });
      ready.push(new Promise((resolve, reject) => {
        const onMessage = (r: WorkerReply): void => {
          worker.off('error', onError);
          worker.off('exit', onExit);
          if (r.kind === 'ready') resolve();
          else reject(new Error(`gradient worker ${rank} failed to start: ${r.kind === 'error' ? r.message : r.kind}`));
        };
        const onError = (e: Error): void => reject(new Error(`gradient worker ${rank} failed to start: ${e.message}`, { cause: e }));
        const onExit = (code: number): void => reject(new Error(`gradient worker ${rank} exited (code ${code}) while starting`));
        worker.once('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
      }));
    }
    const pool = new GradPool(layout, weights, members);
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    members.forEach((m, rank) => {
      pool.watch(m, rank);
      m.worker.unref(); // idle workers of a pool that was not closed must not keep the process alive
    });
    return pool;
  }

  /** Worker threads still running. */
  get running(): number {
    return this.exitCodes.filter((code) => code === undefined).length;
  }

  get size(): number {
    return this.members.length;
  }

  /** Writes the trainer's weights (`vars` in layout order) for the next rounds. */
  async publishWeights(vars: readonly Variable[]): Promise<void> {
    this.check();
    if (vars.length !== this.layout.names.length) throw new Error(`GradPool.publishWeights: ${vars.length} variables for ${this.layout.names.length} parameters`);
    for (let i = 0; i < vars.length; i++) await copyOut(vars[i]!, this.weights, this.layout.offsets[i]!);
    this.weightsVersion++;
  }

  /**
   * One micro-batch per worker (worker w gets `mbs[w]`; fewer micro-batches than workers leave
   * the rest idle). Resolves with each one's numbers and gradients (tensors on this thread,
   * by parameter name), in `mbs` order; rejects with the first worker's error.
   */
  async round(mbs: readonly MicroBatch[], step: MicroBatchStep): Promise<WorkerGradients[]> {
    this.check();
    if (mbs.length > this.members.length) throw new Error(`GradPool.round: ${mbs.length} micro-batches for ${this.members.length} workers`);
    const replies = await Promise.all(mbs.map((mb, w) => this.request(this.members[w]!, { kind: 'step', id: this.nextId++, weightsVersion: this.weightsVersion, mb, step })));
    return replies.map((r, w) => ({ numbers: r.numbers, grads: this.gradients(this.members[w]!, r.present) }));
  }

  /** Stops every worker (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failure ??= new Error('the gradient pool is closed');
    for (const m of this.members) m.pending?.reject(this.failure);
    // Each worker is asked to end itself (it releases its model and ONNX Runtime's sessions and
    // closes its port); terminate() only for one that has not ended within 5 s. ONNX Runtime's
    // binding aborted the whole process when terminate() tore down a worker holding sessions.
    await Promise.all(this.members.map((m) => endWorker(m.worker)));
  }

  /** Held (ref'd) while the request is in flight, so awaiting it keeps the process alive; idle workers do not. */
  private request(m: Member, req: StepRequest): Promise<WorkerReply & { kind: 'done' }> {
    m.worker.ref();
    return new Promise<WorkerReply & { kind: 'done' }>((resolve, reject) => {
      m.pending = { id: req.id, resolve, reject };
      m.worker.postMessage(req);
    }).finally(() => m.worker.unref());
  }

  /** Replies settle the pending request; a worker error or exit fails it and the pool (nothing waits forever). */
  private watch(m: Member, rank: number): void {
    const fail = (e: Error): void => {
      this.failure ??= e;
      const p = m.pending;
      m.pending = undefined;
      p?.reject(e);
      // The other workers' replies no longer matter: stop them so nothing keeps running.
      void this.close();
    };
    m.worker.on('message', (r: WorkerReply) => {
      const p = m.pending;
      if (r.kind === 'done' && p && r.id === p.id) {
        m.pending = undefined;
        p.resolve(r);
      } else if (r.kind === 'error') {
        fail(new Error(`gradient worker ${rank}: ${r.message}`, { cause: Object.assign(new Error(r.message), r.stack ? { stack: r.stack } : {}) }));
      }
    });
    m.worker.on('error', (e) => fail(new Error(`gradient worker ${rank} crashed: ${e.message}`, { cause: e })));
    m.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`gradient worker ${rank} exited unexpectedly (code ${code})`));
    });
  }

  private gradients(m: Member, present: readonly number[]): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const i of present) {
      out.set(this.layout.names[i]!, tensorFrom(m.grads, this.layout.offsets[i]!, this.layout.shapes[i]!));
    }
    return out;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

/** Asks a worker to close and waits for it to exit; terminates it after `graceMs`. */
async function endWorker(worker: Worker, graceMs = 5000): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    worker.postMessage({ kind: 'close' });
  } catch {
    return; // already gone
  }
  worker.ref();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), graceMs); });
  if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
  clearTimeout(timer);
}
