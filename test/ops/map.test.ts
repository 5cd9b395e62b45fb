import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { map } from '../../src/ops/map.js';
import { assertResumesExactly, drain } from './helpers.js';
import { countingSource } from './counting-source.js';

const ITEMS = Array.from({ length: 40 }, (_, i) => i);

/** Finishes later for smaller inputs, so completion order is the reverse of input order. */
const slowFirst = async (x: number): Promise<number> => {
  await sleep((40 - x) % 5);
  return x * 10;
};

test('map delivers results in input order even when later items finish first', async () => {
  const out = await drain(pipe(fromArray(ITEMS), map(slowFirst, { concurrency: 4 }))());
  assert.deepEqual(out, ITEMS.map((x) => x * 10));
});

test('map never has more than `concurrency` calls running at once', async () => {
  let running = 0;
  let peak = 0;
  const fn = async (x: number): Promise<number> => {
    running++;
    peak = Math.max(peak, running);
    await sleep(1);
    running--;
    return x;
  };
  await drain(pipe(fromArray(ITEMS), map(fn, { concurrency: 3 }))());
  assert.equal(peak, 3);
});

test('with a slow consumer, map reads at most `concurrency` items beyond what was delivered', async () => {
  const source = countingSource(1000);
  const stage = pipe(source.flow, map((x: number) => x + 1, { concurrency: 5 }))();
  let delivered = 0;
  for await (const _ of stage) {
    delivered++;
    assert.ok(source.pulled() <= delivered + 5, `pulled ${source.pulled()} after delivering ${delivered}`);
    if (delivered % 50 === 0) await sleep(1);
    if (delivered === 300) break;
  }
});

test('map state covers only delivered items: in-flight items are mapped again after a resume', async () => {
  for (const first of [0, 1, 5, 39]) {
    await assertResumesExactly(pipe(fromArray(ITEMS), map(slowFirst, { concurrency: 4 })), first, 3);
  }
});

test('a failing call surfaces in order, after the items before it', async () => {
  const fn = async (x: number): Promise<number> => {
    if (x === 7) throw new Error('boom at 7');
    await sleep(x < 7 ? 2 : 0);
    return x;
  };
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const x of pipe(fromArray(ITEMS), map(fn, { concurrency: 4 }))()) got.push(x);
  }, /boom at 7/);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
});

test('map rejects a concurrency below one', () => {
  assert.throws(() => map((x: number) => x, { concurrency: 0 }), /concurrency must be a positive integer/);
});
