import type { Flow, Json, Stage, StageState, StageStats } from './stage.js';

interface InterleaveState {
  turn: number;
  done: boolean[];
  children: StageState[];
}

/**
 * Round-robin over flows: one item from flow 0, one from flow 1, …, passing over exhausted ones.
 * This is how a rank puts its loader workers' streams back together: with
 * `slimPajama({ …, rank, worldSize, worker: w, numWorkers: N })` for w = 0…N−1, the interleave is
 * exactly the rank's share of the global order, whatever N is (docs/sources.md, Sharding).
 * State: whose turn it is, which flows are done, and every flow's state.
 */
export function interleave<T>(flows: readonly Flow<T>[]): Flow<T> {
  if (flows.length === 0) throw new Error('interleave: needs at least one flow');
  return (resume?: StageState) => {
    const saved = resume === undefined ? undefined : checkState(resume, flows.length);
    let turn = saved?.turn ?? 0;
    const done = saved ? [...saved.done] : flows.map(() => false);
    const children = flows.map((flow, i) => flow(saved?.children[i]));
    const iterators = children.map((c) => c[Symbol.asyncIterator]());
    const stage: Stage<T> = {
      state: (): Json => ({ turn, done: [...done], children: children.map((c) => c.state()) }),
      stats: (): StageStats => ({ children: children.map((c) => c.stats?.() ?? null) }),
      close: async () => { await Promise.all(children.map((c) => c.close?.())); },
      async *[Symbol.asyncIterator]() {
        try {
          while (done.includes(false)) {
            const i = turn;
            turn = (turn + 1) % flows.length;
            if (done[i]) continue;
            const next = await iterators[i]!.next();
            if (next.done) { done[i] = true; continue; }
            yield next.value;
          }
        } finally {
          await Promise.all(iterators.map((it) => it.return?.()));
        }
      },
    };
    return stage;
  };
}

function checkState(state: StageState, count: number): InterleaveState {
  const s = state as unknown as InterleaveState;
  if (state === null || typeof state !== 'object' || !Array.isArray(s.children) || s.children.length !== count || typeof s.turn !== 'number') {
    throw new Error(`interleave: resume state does not match an interleave of ${count} flows: ${JSON.stringify(state).slice(0, 120)}`);
  }
  return s;
}
