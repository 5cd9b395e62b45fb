import type { Stage } from '../../src/streams/stage.js';

/** Reads up to `n` items (breaking out of the loop, as a trainer stopping for a checkpoint does). */
export async function drain<T>(stage: Stage<T>, n = Infinity): Promise<T[]> {
  const out: T[] = [];
  if (n <= 0) return out;
  for await (const x of stage) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}
