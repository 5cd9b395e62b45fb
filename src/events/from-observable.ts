import type { Observable, Subscription } from 'rxjs';
import type { Json, Stage } from '../streams/stage.js';

export interface FromObservableOptions {
  /** Items the buffer may hold before the source counts as overflowing. */
  readonly capacity: number;
  /** Named in errors, e.g. 'worker results'. */
  readonly name?: string;
}

/** Thrown when a push source outruns its consumer by more than the buffer's capacity. */
export class BufferOverflowError extends Error {
  constructor(name: string, capacity: number, received: number) {
    super(
      `${name}: buffer overflow: the push source produced more than ${capacity} items the consumer had not pulled ` +
        `(after ${received} items in all). A push source cannot be slowed down; raise the capacity or make the source pull-based.`,
    );
    this.name = 'BufferOverflowError';
  }
}

/**
 * Admit a push source (Observable) into the pull plane through a bounded buffer. The
 * source is subscribed on the first pull. When more than `capacity` items wait unread,
 * the subscription is cancelled and the consumer's next pull throws `BufferOverflowError`
 * instead of letting memory grow. State: how many items the consumer received (a push
 * source cannot be rewound, so this is for bookkeeping, not for resume).
 */
export function fromObservable<T>(source: Observable<T>, options: FromObservableOptions): Stage<T> {
  const { capacity } = options;
  const name = options.name ?? 'fromObservable';
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`${name}: capacity must be a positive integer, got ${capacity}`);
  const buffer: T[] = [];
  let head = 0;
  let received = 0;
  let delivered = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  // True while the consumer awaits an item: the first item pushed then is already claimed.
  let waiting = false;
  let sub: Subscription | undefined;
  let started = false;

  const signal = (): void => { const w = wake; wake = undefined; w?.(); };
  const queued = (): number => buffer.length - head;

  const start = (): void => {
    started = true;
    sub = source.subscribe({
      next: (v) => {
        if (failure || done) return;
        received++;
        if (queued() - (waiting ? 1 : 0) >= capacity) {
          failure = { error: new BufferOverflowError(name, capacity, received) };
          sub?.unsubscribe();
          signal();
          return;
        }
        buffer.push(v);
        signal();
      },
      error: (e) => { failure ??= { error: e }; signal(); },
      complete: () => { done = true; signal(); },
    });
  };

  return {
    state: (): Json => ({ received: delivered }),
    async *[Symbol.asyncIterator]() {
      if (!started) start();
      try {
        for (;;) {
          // An overflow is reported at once (the source is gone and the consumer must not
          // mistake what is buffered for the whole stream); a source error or completion
          // only after the items that preceded it.
          if (failure && failure.error instanceof BufferOverflowError) throw failure.error;
          if (queued() > 0) {
            waiting = false;
            const v = buffer[head]!;
            buffer[head++] = undefined as T;
            if (head > 1024 && head * 2 > buffer.length) { buffer.splice(0, head); head = 0; }
            delivered++;
            yield v;
            continue;
          }
          if (failure) throw failure.error;
          if (done) return;
          waiting = true;
          await new Promise<void>((resolve) => { wake = resolve; });
        }
      } finally {
        sub?.unsubscribe();
      }
    },
  };
}
