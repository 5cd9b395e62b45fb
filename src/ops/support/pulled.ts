import type { Json, Stage, StageState, StageStats } from '../../streams/stage.js';

/**
 * An item read from upstream together with the upstream's state right after it was read.
 * Operators that read ahead (tokenize, map, prefetch) report the state of the last item they
 * *delivered*, so a resumed flow re-reads whatever was still in flight instead of losing it.
 */
export interface Pulled<T> {
  readonly value: T;
  readonly state: StageState;
}

/**
 * Reads the next item and captures the state at once. Pulls must not overlap: an async
 * generator may already run ahead into the next item before a `.then` of the previous pull
 * fires, so the state is only exact when the caller awaits each pull before the next.
 */
export async function pull<T>(iterator: AsyncIterator<T>, upstream: Stage<T>): Promise<Pulled<T> | undefined> {
  const result = await iterator.next();
  if (result.done) return undefined;
  return { value: result.value, state: upstream.state() };
}

/**
 * An op's counters nested like its state: `op` (its name), its own fields, and `upstream`
 * (the upstream stage's stats, or null for a source without any).
 */
export function opStats(op: string, local: StageStats, upstream: Stage<unknown>): StageStats {
  return { op, ...local, upstream: (upstream.stats?.() ?? null) as Json };
}

/** Forwards `close()` upstream (an op holds nothing of its own that needs releasing). */
export function closeUpstream(upstream: Stage<unknown>): () => Promise<void> {
  return async () => { await upstream.close?.(); };
}
