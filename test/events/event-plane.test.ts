import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventPlane, type EventSink } from '../../src/events/event-plane.js';
import type { RunEvent } from '../../src/events/step-event.js';

function evalEvent(step: number): RunEvent {
  return { kind: 'eval', runId: 'r', step, result: { loss: 1, perplexity: 2.7, accuracy: 0.1, tokens: 10 }, time: 0 };
}

/** A sink whose flush of every 2 events takes `ms`; records what it persisted. */
class SlowSink implements EventSink {
  readonly name = 'slow';
  readonly persisted: number[] = [];
  private pending: number[] = [];
  private flushing: Promise<void> = Promise.resolve();
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly ms: number) {}
  consume(ev: RunEvent): void {
    if (ev.kind !== 'eval') return;
    this.pending.push(ev.step);
    if (this.pending.length >= 2) void this.flush();
  }
  idle(): Promise<void> { return this.flushing; }
  flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await new Promise((r) => setTimeout(r, this.ms));
      this.persisted.push(...rows);
      this.inFlight--;
    });
    return this.flushing;
  }
  close(): Promise<void> { return this.flush(); }
}

test('emit waits for a slow sink, so the producer is slowed and no event is lost', async () => {
  const plane = new EventPlane();
  const sink = new SlowSink(15);
  plane.attach(sink);
  let waited = 0;
  for (let s = 1; s <= 10; s++) waited += await plane.emit(evalEvent(s));
  await plane.close();
  assert.deepEqual(sink.persisted, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(sink.maxInFlight, 1, 'never more than one flush outstanding: the producer waited');
  assert.ok(waited > 0, 'emit reported the time it waited for the sink');
});

test('a sink that throws while consuming fails the next emit with its name', async () => {
  const plane = new EventPlane();
  plane.attach({
    name: 'broken', consume: () => { throw new Error('disk full'); },
    idle: async () => {}, flush: async () => {}, close: async () => {},
  });
  await assert.rejects(plane.emit(evalEvent(1)), /sink broken: disk full/);
});

test('observers on events$ see every emitted event', async () => {
  const plane = new EventPlane();
  const seen: number[] = [];
  plane.events$.subscribe((e) => { if (e.kind === 'eval') seen.push(e.step); });
  for (let s = 0; s < 3; s++) await plane.emit(evalEvent(s));
  assert.deepEqual(seen, [0, 1, 2]);
});
