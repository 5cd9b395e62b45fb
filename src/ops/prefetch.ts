import { type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import { type Pulled, closeUpstream, opStats, pull } from './support/pulled.js';

/**
 * Reads up to `size` items ahead in the background while the consumer works, so a slow
 * source and a slow consumer overlap. Never more than `size` items are read beyond what was
 * delivered; the state is the upstream position of the last *delivered* item (buffered items
 * are read again after a resume, never lost or duplicated).
 */
export function prefetch<T>(size: number): Op<T, T> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`prefetch: size must be a positive integer, got ${size}`);
  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`prefetch: resume state must be null, got ${JSON.stringify(resume)}`);
    let delivered: StageState = upstream.state();
    let pulled = 0;
    let passed = 0;
    let peakBuffered = 0;
    const stage: Stage<T> = {
      state: () => opState(null, delivered),
      stats: () => opStats('prefetch', { pulled, delivered: passed, peakBuffered }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        const iterator = upstream[Symbol.asyncIterator]();
        const buffer: Pulled<T>[] = [];
        let ended = false;
        let failure: { error: unknown } | undefined;
        let pump: Promise<void> = Promise.resolve();
        // Set and cleared inside `fill` itself: a fill that finds the buffer full ends
        // synchronously, before its promise could be stored anywhere.
        let pumping = false;
        let wake: (() => void) | undefined;

        // One pump at a time, so pulls never overlap (see `pull`).
        const fill = async (): Promise<void> => {
          pumping = true;
          try {
            while (!ended && failure === undefined && buffer.length < size) {
              const next = await pull(iterator, upstream);
              if (next === undefined) ended = true;
              else {
                pulled++;
                buffer.push(next);
                peakBuffered = Math.max(peakBuffered, buffer.length);
              }
              wake?.();
            }
          } catch (error) {
            failure = { error };
            wake?.();
          } finally {
            pumping = false;
          }
        };
        const startPump = (): void => { if (!pumping && !ended && failure === undefined) pump = fill(); };

        try {
          for (;;) {
            startPump();
            while (buffer.length === 0 && !ended && failure === undefined) {
              await new Promise<void>((resolve) => { wake = resolve; });
              wake = undefined;
            }
            const head = buffer.shift();
            if (head === undefined) {
              if (failure !== undefined) throw failure.error;
              return;
            }
            delivered = head.state;
            passed++;
            // Refill while the consumer holds this item.
            startPump();
            yield head.value;
          }
        } finally {
          ended = true; // stops the pump after its current pull
          await pump;
          await iterator.return?.();
        }
      },
    };
    return stage;
  };
}
