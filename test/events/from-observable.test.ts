import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, interval, map, take, throwError, concat, of } from 'rxjs';
import { BufferOverflowError, fromObservable } from '../../src/events/from-observable.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

test('fromObservable delivers a push source in order and ends when it completes', async () => {
  const stage = fromObservable(interval(1).pipe(take(20)), { capacity: 100 });
  assert.deepEqual(await collect(stage), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(stage.state(), { received: 20 });
});

test('fromObservable holds up to `capacity` unread items without error', async () => {
  const s = new Subject<number>();
  const stage = fromObservable(s, { capacity: 5 });
  const it = stage[Symbol.asyncIterator]();
  const first = it.next(); // subscribes
  for (let i = 0; i < 6; i++) s.next(i); // one is taken by the waiting pull, 5 wait in the buffer
  s.complete();
  assert.equal((await first).value, 0);
  const rest: number[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  assert.deepEqual(rest, [1, 2, 3, 4, 5]);
});

test('fromObservable fails loudly when the push source outruns the consumer by more than capacity', async () => {
  const s = new Subject<number>();
  const stage = fromObservable(s, { capacity: 3, name: 'worker results' });
  const it = stage[Symbol.asyncIterator]();
  const first = it.next();
  s.next(0);
  assert.equal((await first).value, 0);
  for (let i = 1; i <= 4; i++) s.next(i); // 4 unread > capacity 3
  assert.equal(s.observed, false, 'the source subscription was cancelled on overflow');
  await assert.rejects(it.next(), (e: unknown) => {
    assert.ok(e instanceof BufferOverflowError);
    assert.match((e as Error).message, /worker results: buffer overflow: .*more than 3 items/);
    return true;
  });
});

test('fromObservable delivers the items before a source error, then throws it', async () => {
  const src = concat(of(1, 2), throwError(() => new Error('socket closed')));
  const got: number[] = [];
  await assert.rejects(async () => { for await (const v of fromObservable(src, { capacity: 10 })) got.push(v); }, /socket closed/);
  assert.deepEqual(got, [1, 2]);
});

test('fromObservable unsubscribes from the source when the consumer stops early', async () => {
  const s = new Subject<number>();
  const stage = fromObservable(s.pipe(map((x) => x * 2)), { capacity: 10 });
  const it = stage[Symbol.asyncIterator]();
  const p = it.next();
  s.next(1);
  assert.equal((await p).value, 2);
  await it.return?.();
  assert.equal(s.observed, false);
});

test('fromObservable rejects a capacity that is not a positive integer', () => {
  assert.throws(() => fromObservable(of(1), { capacity: 0 }), /capacity must be a positive integer/);
});
