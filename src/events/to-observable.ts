import { Observable } from 'rxjs';
import type { Stage } from '../streams/stage.js';

/**
 * Expose a pull stage on the event plane. The stage is pulled only when a subscriber is
 * there and only after the subscriber's (synchronous) `next` returned: nothing is read
 * ahead, so unsubscribing after n items has pulled exactly n. Unsubscribing closes the
 * stage's iterator (its `finally` blocks run), so files and workers are released.
 */
export function toObservable<T>(stage: Stage<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const it = stage[Symbol.asyncIterator]();
    let stopped = false;
    const pump = async (): Promise<void> => {
      try {
        while (!stopped) {
          const r = await it.next();
          if (stopped) return;
          if (r.done) { subscriber.complete(); return; }
          subscriber.next(r.value);
        }
      } catch (e) {
        if (!stopped) subscriber.error(e);
      }
    };
    void pump();
    return () => {
      stopped = true;
      // Ends the generator at its current (or next) yield: its cleanup runs.
      void it.return?.().catch(() => undefined);
    };
  });
}
