import { type Op, type Stage, opState } from '../streams/stage.js';
import { closeUpstream, opStats } from './support/pulled.js';

/**
 * Drops the first `count` items, then passes the rest. State: how many were dropped, so a
 * resumed flow does not drop again.
 */
export function skip<T>(count: number): Op<T, T> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`skip: count must be a non-negative integer, got ${count}`);
  return (upstream, resume) => {
    if (resume !== undefined && typeof resume !== 'number') {
      throw new Error(`skip: resume state must be a number, got ${JSON.stringify(resume)}`);
    }
    let skipped = resume ?? 0;
    let passed = 0;
    const stage: Stage<T> = {
      state: () => opState(skipped, upstream.state()),
      stats: () => opStats('skip', { skipped, passed }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        for await (const item of upstream) {
          if (skipped < count) { skipped++; continue; }
          passed++;
          yield item;
        }
      },
    };
    return stage;
  };
}
