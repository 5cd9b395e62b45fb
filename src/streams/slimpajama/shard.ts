import { Rng } from '../../base/random.js';

/**
 * Who reads what. The rule (docs/sources.md, "Sharding"):
 *
 * 1. File order of an epoch: the resolved files sorted, then shuffled with
 *    `Rng.derive(seed, 'files', epoch)` (or left sorted when `shuffleFiles` is false).
 * 2. Canonical partitions: file k of that order belongs to partition k mod P. P is fixed by the
 *    data configuration (default 8), never by the number of GPUs or workers.
 * 3. Slots: every non-blank line is one slot; so is the unreadable rest of a corrupt file, and an
 *    empty file. Whether a line parses does not change the order.
 * 4. The global order is the round-robin interleave of the partitions: partition 0, 1, …, P−1,
 *    0, 1, … each giving its next slot; an exhausted partition is passed over.
 * 5. Consumer c of C takes global slots g with g mod C = c, where for rank r of W and loader
 *    worker w of N, c = r + W·w and C = W·N.
 *
 * So rank r's items, interleaved over its workers (worker 0's first, worker 1's first, …), are
 * the global slots r, r+W, r+2W, …; and with a global batch of B = W·b, step s of every rank
 * together holds exactly global slots [sB, (s+1)B), whatever W is.
 */
export interface ShardSpec {
  rank?: number;
  worldSize?: number;
  worker?: number;
  numWorkers?: number;
}

export interface Consumer {
  readonly index: number;
  readonly count: number;
}

export function consumerOf(spec: ShardSpec): Consumer {
  const worldSize = spec.worldSize ?? 1;
  const rank = spec.rank ?? 0;
  const numWorkers = spec.numWorkers ?? 1;
  const worker = spec.worker ?? 0;
  for (const [name, value, below] of [['rank', rank, worldSize], ['worker', worker, numWorkers]] as const) {
    if (!Number.isInteger(value) || value < 0 || value >= below) {
      throw new Error(`shard: ${name} must be an integer in [0, ${below}), got ${value}`);
    }
  }
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`shard: worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(numWorkers) || numWorkers < 1) throw new Error(`shard: numWorkers must be a positive integer, got ${numWorkers}`);
  return { index: rank + worldSize * worker, count: worldSize * numWorkers };
}

/** The file order of one epoch (rule 1). */
export function epochFileOrder(sortedFiles: readonly string[], seed: number, epoch: number, shuffle: boolean): string[] {
  const order = [...sortedFiles];
  return shuffle ? Rng.derive(seed, 'files', epoch).shuffle(order) : order;
}

/** The files of each canonical partition (rule 2). */
export function partitionFiles(order: readonly string[], partitions: number): string[][] {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be a positive integer, got ${partitions}`);
  const parts: string[][] = Array.from({ length: partitions }, () => []);
  order.forEach((file, k) => parts[k % partitions]!.push(file));
  return parts;
}
