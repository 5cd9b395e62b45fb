import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, take, toArray } from 'rxjs';
import { toObservable } from '../../src/events/to-observable.js';
import { fromArray } from '../../src/streams/from-array.js';
import type { Stage } from '../../src/streams/stage.js';

/** A stage that counts how often it was pulled and whether its cleanup ran. */
function countingStage(n: number): { stage: Stage<number>; pulls: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  const stage: Stage<number> = {
    state: () => pulled,
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < n; i++) { pulled++; yield i; }
      } finally { closed = true; }
    },
  };
  return { stage, pulls: () => pulled, closed: () => closed };
}

test('toObservable emits every item of a stage in order, then completes', async () => {
  const items = await firstValueFrom(toObservable(fromArray([1, 2, 3, 4])()).pipe(toArray()));
  assert.deepEqual(items, [1, 2, 3, 4]);
});

test('toObservable pulls only what the subscriber consumes and closes the stage on unsubscribe', async () => {
  const c = countingStage(1000);
  const got = await firstValueFrom(toObservable(c.stage).pipe(take(3), toArray()));
  assert.deepEqual(got, [0, 1, 2]);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(c.pulls(), 3, 'no read-ahead beyond the items consumed');
  assert.equal(c.closed(), true, 'the stage iterator was returned (cleanup ran)');
});

test('toObservable pulls nothing before subscription', async () => {
  const c = countingStage(10);
  const obs = toObservable(c.stage);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(c.pulls(), 0);
  await firstValueFrom(obs.pipe(toArray()));
  assert.equal(c.pulls(), 10);
});

test('toObservable forwards a stage error to the subscriber', async () => {
  const stage: Stage<number> = {
    state: () => null,
    async *[Symbol.asyncIterator]() { yield 1; throw new Error('bad line 7'); },
  };
  await assert.rejects(firstValueFrom(toObservable(stage).pipe(toArray())), /bad line 7/);
});

test('toObservable never reads ahead: when the subscriber gets item n, the stage has been pulled exactly n times', async () => {
  const c = countingStage(50);
  const seen: [number, number][] = [];
  await new Promise<void>((resolve, reject) => {
    toObservable(c.stage).subscribe({ next: (v) => { seen.push([v + 1, c.pulls()]); }, error: reject, complete: resolve });
  });
  assert.equal(seen.length, 50);
  for (const [delivered, pulled] of seen) assert.equal(pulled, delivered);
});
