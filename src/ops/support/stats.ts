import type { Json, StageStats } from '../../streams/stage.js';

/**
 * The counters of every stage in a flow, source first, from the nested `stats()` of its last
 * stage (ops put theirs under `op` and their upstream's under `upstream`).
 */
export function statsChain(stats: StageStats | undefined): StageStats[] {
  const chain: StageStats[] = [];
  let current: Json | undefined = stats;
  while (current !== null && current !== undefined && typeof current === 'object' && !Array.isArray(current)) {
    const { upstream, ...own }: { [key: string]: Json } = current;
    chain.unshift(own);
    current = upstream;
  }
  return chain;
}

/** The counters of the nearest-to-sink stage named `op` (e.g. 'pack'), if the flow has one. */
export function statsOf(stats: StageStats | undefined, op: string): StageStats | undefined {
  return statsChain(stats).reverse().find((s) => s['op'] === op);
}
