import { type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import { closeUpstream, opStats, pull } from './support/pulled.js';

export interface MapOptions {
  /** Calls of `fn` allowed to run at once (default 1). Results still come out in input order. */
  readonly concurrency?: number;
}

interface InFlight<B> {
  readonly result: Promise<B>;
  /** Upstream state right after this item was read: the flow's position once it is delivered. */
  readonly state: StageState;
}

/**
 * Ordered, bounded-concurrency map. At most `concurrency` items are read ahead of what the
 * consumer has received (each one being worked on); the state is the upstream position of the
 * last *delivered* item, so items in flight at a checkpoint are read and mapped again after a
 * resume. `fn` must therefore be deterministic in its input.
 */
export function map<A, B>(fn: (item: A) => B | Promise<B>, options: MapOptions = {}): Op<A, B> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`map: concurrency must be a positive integer, got ${concurrency}`);
  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`map: resume state must be null, got ${JSON.stringify(resume)}`);
    let delivered: StageState = upstream.state();
    let pulled = 0;
    let passed = 0;
    let peakInFlight = 0;
    const stage: Stage<B> = {
      state: () => opState(null, delivered),
      stats: () => opStats('map', { pulled, delivered: passed, peakInFlight }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        const iterator = upstream[Symbol.asyncIterator]();
        const queue: InFlight<B>[] = [];
        let ended = false;
        try {
          for (;;) {
            while (!ended && queue.length < concurrency) {
              const next = await pull(iterator, upstream);
              if (next === undefined) { ended = true; break; }
              pulled++;
              const result = (async () => fn(next.value))();
              // A failure surfaces when its turn comes (in order), not as an unhandled rejection.
              result.catch(() => undefined);
              queue.push({ result, state: next.state });
              peakInFlight = Math.max(peakInFlight, queue.length);
            }
            const head = queue.shift();
            if (head === undefined) return;
            const value = await head.result;
            delivered = head.state;
            passed++;
            yield value;
          }
        } finally {
          if (!ended) await iterator.return?.();
        }
      },
    };
    return stage;
  };
}
