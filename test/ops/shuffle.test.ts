import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { shuffle } from '../../src/ops/shuffle.js';
import { assertResumesExactly, drain, roundTrip } from './helpers.js';
import { countingSource } from './counting-source.js';

const ITEMS = Array.from({ length: 200 }, (_, i) => i);

test('shuffle emits a permutation of its input', async () => {
  const out = await drain(pipe(fromArray(ITEMS), shuffle<number>({ bufferSize: 32, seed: 1 }))());
  assert.notDeepEqual(out, ITEMS);
  assert.deepEqual([...out].sort((a, b) => a - b), ITEMS);
});

test('the same seed gives the same order; another seed another order', async () => {
  const run = (seed: number) => drain(pipe(fromArray(ITEMS), shuffle<number>({ bufferSize: 16, seed }))());
  assert.deepEqual(await run(7), await run(7));
  assert.notDeepEqual(await run(7), await run(8));
});

test('no item is read more than bufferSize ahead of what was delivered', async () => {
  const source = countingSource(1000);
  let delivered = 0;
  for await (const _ of pipe(source.flow, shuffle<number>({ bufferSize: 10, seed: 3 }))()) {
    delivered++;
    assert.ok(source.pulled() <= delivered + 10);
    if (delivered === 100) break;
  }
});

test('resume continues exactly, with the buffer contents in the state, also during the final drain', async () => {
  const flow = pipe(fromArray(ITEMS), shuffle<number>({ bufferSize: 32, seed: 5 }));
  for (const first of [0, 1, 50, 167, 170, 199, 200]) await assertResumesExactly(flow, first, 5);
  const stage = flow();
  await drain(stage, 10);
  const state = stage.state() as { local: { buffer: unknown[] } };
  assert.equal(state.local.buffer.length, 32);
});

test('items with typed arrays survive the state round trip', async () => {
  const items = Array.from({ length: 20 }, (_, i) => ({ i, ids: Int32Array.from([i, -i, 2 ** 30]), mask: Uint8Array.from([i % 2]) }));
  const flow = pipe(fromArray(items), shuffle<(typeof items)[number]>({ bufferSize: 6, seed: 9 }));
  const out = await assertResumesExactly(flow, 4, 3);
  assert.ok(out.every((x) => x.ids instanceof Int32Array && x.ids[2] === 2 ** 30));
});

test('a state with a bigger buffer than configured is rejected', async () => {
  const flow = pipe(fromArray(ITEMS), shuffle<number>({ bufferSize: 8, seed: 1 }));
  const stage = flow();
  await drain(stage, 1);
  const big = pipe(fromArray(ITEMS), shuffle<number>({ bufferSize: 4, seed: 1 }));
  assert.throws(() => big(roundTrip(stage.state())), /holds 8 items but bufferSize is 4/);
});
