import { Subject, type Observable } from 'rxjs';
import type { RunEvent } from './step-event.js';

/**
 * Something that consumes run events and may need time to persist them (a Parquet sink,
 * an Arrow stream). `consume` must be quick (append to in-memory columns); slow work
 * happens in `idle()`'s promise, which the producer awaits before its next step.
 */
export interface EventSink {
  readonly name: string;
  consume(event: RunEvent): void;
  /** Resolves when the sink has no flush in progress (rejects with the flush's error). */
  idle(): Promise<void>;
  /** Persist everything consumed so far (e.g. before a checkpoint is written). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The event plane of one run: the trainer `emit`s, sinks and observers subscribe to
 * `events$`. Backpressure without loss: `emit` resolves only when every sink is idle, so
 * a slow sink slows the trainer down instead of dropping or queueing without bound.
 */
export class EventPlane {
  private readonly subject = new Subject<RunEvent>();
  private readonly sinks: EventSink[] = [];
  private failed: unknown;
  readonly events$: Observable<RunEvent> = this.subject.asObservable();

  attach(sink: EventSink): void {
    this.sinks.push(sink);
    this.subject.subscribe({
      next: (ev) => {
        try { sink.consume(ev); } catch (e) { this.failed ??= new Error(`sink ${sink.name}: ${(e as Error).message}`, { cause: e }); }
      },
    });
  }

  /** Push one event; resolves when the sinks can take the next. Returns the ms waited (backpressure). */
  async emit(event: RunEvent): Promise<number> {
    if (this.failed) throw this.failed;
    const t0 = performance.now();
    this.subject.next(event);
    if (this.failed) throw this.failed;
    await Promise.all(this.sinks.map((s) => s.idle()));
    return performance.now() - t0;
  }

  /** Make everything emitted so far durable (call before writing a checkpoint). */
  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    this.subject.complete();
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (this.failed) throw this.failed;
    if (bad) throw bad.reason;
  }
}
