import { availableParallelism } from 'node:os';
import { workerSplitProblem, type PipelineConfig } from '../../config/schema.js';
import { MAX_WASM_THREADS } from '../../models/wasm-threads.js';

/**
 * The run's data-parallel worker count: trainer.workers, "auto" = one per core
 * (os.availableParallelism()). 1 = the trainer computes on its own thread (no workers).
 * Throws naming the key when "auto" resolves to a count that cannot split the batch.
 */
export function workerCount(config: PipelineConfig): number {
  const w = config.trainer.workers;
  if (w !== 'auto') return w;
  const n = availableParallelism();
  if (n === 1) return 1;
  const problem = workerSplitProblem(config.data.batchSize, config.trainer.accumulate, n);
  if (problem) throw new Error(`trainer.workers: "auto" means ${n} workers on this machine; ${problem}, or set trainer.workers to it`);
  return n;
}

/**
 * Threads for the wasm backend's matrix kernels (trainer.threads): "auto" = one per core, at
 * most MAX_WASM_THREADS, and 1 when data-parallel workers already use the cores. A count above 1
 * together with workers above 1 is refused: each worker would start its own pool on the same
 * cores, and worker threads run the stock single-threaded binary.
 */
export function threadCount(config: PipelineConfig, workers: number): number {
  const t = config.trainer.threads;
  if (t === 'auto') return workers > 1 ? 1 : Math.min(MAX_WASM_THREADS, availableParallelism());
  if (t > MAX_WASM_THREADS) throw new Error(`trainer.threads: at most ${MAX_WASM_THREADS} (the threaded wasm binary's pool), got ${t}`);
  if (t > 1 && workers > 1) throw new Error(`trainer.threads: ${t} threads with trainer.workers: ${workers} would run several thread pools on the same cores; use one of them (threads for one replica, workers for data parallelism)`);
  return t;
}
