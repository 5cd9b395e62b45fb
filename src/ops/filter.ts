import { type Op, type Stage, opState } from '../streams/stage.js';
import { closeUpstream, opStats } from './support/pulled.js';

/**
 * Passes the items for which `keep` is true. It reads nothing ahead of the item it yields,
 * so its state is the upstream's (the skipped items before a yielded one are behind it).
 * `keep` must be deterministic: a resumed flow must drop the same items.
 */
export function filter<T>(keep: (item: T) => boolean, name = 'filter'): Op<T, T> {
  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`${name}: resume state must be null, got ${JSON.stringify(resume)}`);
    let kept = 0;
    let dropped = 0;
    const stage: Stage<T> = {
      state: () => opState(null, upstream.state()),
      stats: () => opStats(name, { kept, dropped }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        for await (const item of upstream) {
          if (keep(item)) { kept++; yield item; } else dropped++;
        }
      },
    };
    return stage;
  };
}
