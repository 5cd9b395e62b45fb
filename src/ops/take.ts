import { type Op, type Stage, opState } from '../streams/stage.js';
import { closeUpstream, opStats } from './support/pulled.js';

/** Passes the first `count` items, then ends. State: how many were passed. */
export function take<T>(count: number): Op<T, T> {
  return (upstream, resume) => {
    let taken = typeof resume === 'number' ? resume : 0;
    const stage: Stage<T> = {
      state: () => opState(taken, upstream.state()),
      stats: () => opStats('take', { taken }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        if (taken >= count) return;
        for await (const item of upstream) {
          taken++;
          yield item;
          if (taken >= count) return;
        }
      },
    };
    return stage;
  };
}
