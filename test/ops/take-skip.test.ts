import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { take } from '../../src/ops/take.js';
import { skip } from '../../src/ops/skip.js';
import { assertResumesExactly, drain } from './helpers.js';

const ITEMS = Array.from({ length: 30 }, (_, i) => i);

test('skip drops the first n items and passes the rest', async () => {
  assert.deepEqual(await drain(pipe(fromArray(ITEMS), skip<number>(25))()), [25, 26, 27, 28, 29]);
  assert.deepEqual(await drain(pipe(fromArray(ITEMS), skip<number>(40))()), []);
});

test('a resumed skip does not skip again; take and skip resume exactly, twice in a row', async () => {
  for (const first of [0, 1, 7, 20]) {
    const out = await assertResumesExactly(pipe(fromArray(ITEMS), skip<number>(5), take<number>(20)), first, 3);
    assert.deepEqual(out, ITEMS.slice(5, 25));
  }
});

test('skip counts what it dropped and passed', async () => {
  const stage = pipe(fromArray(ITEMS), skip<number>(10))();
  await drain(stage, 4);
  const stats = stage.stats!() as { skipped: number; passed: number };
  assert.equal(stats.skipped, 10);
  assert.equal(stats.passed, 4);
  assert.throws(() => skip(-1), /non-negative/);
});
