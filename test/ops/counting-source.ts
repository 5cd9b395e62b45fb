import { setImmediate as tick } from 'node:timers/promises';
import type { Flow, Json, Stage } from '../../src/streams/stage.js';

/** A test source of `0, 1, 2, ...` that counts how many items were pulled from it. */
export interface CountingSource {
  readonly flow: Flow<number>;
  /** Items handed out by every stage built from `flow` so far. */
  pulled(): number;
}

export function countingSource(length: number, options: { async?: boolean } = {}): CountingSource {
  let pulled = 0;
  const flow: Flow<number> = (resume) => {
    let next = typeof resume === 'number' ? resume : 0;
    const stage: Stage<number> = {
      state: (): Json => next,
      async *[Symbol.asyncIterator]() {
        while (next < length) {
          if (options.async) await tick();
          pulled++;
          yield next++;
        }
      },
    };
    return stage;
  };
  return { flow, pulled: () => pulled };
}
