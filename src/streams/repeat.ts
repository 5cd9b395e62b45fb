import { addCounts, countsIn, type Counts } from './carried-counts.js';
import type { Flow, Json, Stage, StageState, StageStats } from './stage.js';

export interface RepeatOptions {
  /** How many passes; `Infinity` never ends. Default 1. */
  epochs?: number;
}

interface RepeatState {
  epoch: number;
  /** The running epoch's state; absent once every epoch is done. */
  inner?: StageState;
  /** The carried counts (../carried-counts.ts) of the finished epochs; absent when none. */
  counts?: Counts;
}

/**
 * Epochs: runs `flowOfEpoch(0)`, then `flowOfEpoch(1)`, … For SlimPajama pass the epoch on, so
 * each epoch reads the files in a new order drawn from (seed, epoch):
 *
 *   repeat((epoch) => slimPajama({ files, seed, epoch }), { epochs: 3 })
 *
 * State: `{ epoch, inner }` with the current epoch's own state. A state saved after the last item
 * of an epoch resumes with the first item of the next one. Stats sum the finished epochs and add
 * the running one; the carried counts of finished epochs (a source's read/used/skipped) are kept
 * in the state as `counts`, so they survive a resume.
 */
export function repeat<T>(flowOfEpoch: (epoch: number) => Flow<T>, options: RepeatOptions = {}): Flow<T> {
  const epochs = options.epochs ?? 1;
  if (!(epochs >= 0) || (!Number.isInteger(epochs) && epochs !== Infinity)) {
    throw new Error(`repeat: epochs must be a non-negative integer or Infinity, got ${epochs}`);
  }
  return (resume?: StageState) => {
    const saved = resume === undefined ? undefined : checkState(resume);
    let epoch = saved?.epoch ?? 0;
    let current: Stage<T> | undefined = epoch < epochs ? flowOfEpoch(epoch)(saved?.inner) : undefined;
    /** Carried counts of the finished epochs (part of the state). */
    let done: Counts = saved?.counts ?? {};
    // After a resume, the finished epochs' full stats are gone; their carried counts stand in.
    let finished: StageStats = { ...done } as StageStats;
    let wholeEpoch = saved === undefined;
    const stage: Stage<T> = {
      state: (): Json => {
        const counts = Object.keys(done).length > 0 ? { counts: done } : {};
        return (current ? { epoch, inner: current.state(), ...counts } : { epoch, ...counts }) satisfies RepeatState as unknown as Json;
      },
      stats: (): StageStats => {
        const running = current?.stats?.();
        return { epoch, ...(running ? addCounts(finished, running) : finished) } as StageStats;
      },
      close: async () => { await current?.close?.(); },
      async *[Symbol.asyncIterator]() {
        while (current) {
          let yielded = 0;
          for await (const item of current) {
            yielded++;
            yield item;
          }
          const epochStats = current.stats?.();
          if (epochStats) finished = addCounts(finished, epochStats);
          done = addCounts(done, countsIn(current.state())) as Counts;
          epoch++;
          // An empty epoch would make an infinite repeat spin forever: stop instead. (An epoch we
          // resumed into at its very end legitimately yields nothing.)
          if (yielded === 0 && epochs === Infinity && wholeEpoch) {
            throw new Error(`repeat: epoch ${epoch - 1} produced no items; refusing to repeat an empty flow forever`);
          }
          wholeEpoch = true;
          current = epoch < epochs ? flowOfEpoch(epoch)() : undefined;
        }
      },
    };
    return stage;
  };
}

function checkState(state: StageState): RepeatState {
  const s = state as unknown as RepeatState;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || typeof s.epoch !== 'number') {
    throw new Error(`repeat: resume state is not a repeat state: ${JSON.stringify(state).slice(0, 120)}`);
  }
  return s;
}
