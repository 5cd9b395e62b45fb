import { availableParallelism } from 'node:os';
import { workerSplitProblem, type PipelineConfig } from '../../config/schema.js';

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
