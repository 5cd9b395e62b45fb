import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { prefetch } from '../../src/ops/prefetch.js';
import { map } from '../../src/ops/map.js';
import type { Flow, Stage } from '../../src/streams/stage.js';
import { assertResumesExactly, collectGarbage, drain } from './helpers.js';
import { countingSource } from './counting-source.js';

test('prefetch passes every item in order', async () => {
  const items = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(await drain(pipe(fromArray(items), prefetch<number>(7))()), items);
});

test('prefetch reads ahead while the consumer is busy, but never more than its size', async () => {
  const source = countingSource(500, { async: true });
  const stage = pipe(source.flow, prefetch<number>(8))();
  let delivered = 0;
  let sawReadAhead = false;
  for await (const _ of stage) {
    delivered++;
    await sleep(delivered % 10 === 0 ? 5 : 0); // a slow consumer, now and then
    assert.ok(source.pulled() <= delivered + 8, `pulled ${source.pulled()} after delivering ${delivered}`);
    if (source.pulled() === delivered + 8) sawReadAhead = true;
    if (delivered === 200) break;
  }
  assert.ok(sawReadAhead, 'the buffer filled up while the consumer slept');
});

test('prefetch state covers only delivered items, also when resumed twice in a row', async () => {
  const source = countingSource(60, { async: true });
  for (const first of [0, 1, 13, 59]) {
    await assertResumesExactly(pipe(source.flow, prefetch<number>(5)), first, 4);
  }
});

test('an upstream error reaches the consumer after the items read before it', async () => {
  const failing: Flow<number> = () => {
    const stage: Stage<number> = {
      state: () => null,
      async *[Symbol.asyncIterator]() {
        yield 1; yield 2;
        throw new Error('shard broken at line 3');
      },
    };
    return stage;
  };
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const x of pipe(failing, prefetch<number>(4))()) got.push(x);
  }, /shard broken at line 3/);
  assert.deepEqual(got, [1, 2]);
});

test('heap stays flat over a long stream through prefetch and map (200k items)', async () => {
  const source = countingSource(200_000);
  const stage = pipe(source.flow, map((x: number) => ({ x, payload: `item ${x}` }), { concurrency: 4 }), prefetch<{ x: number }>(16))();
  let n = 0;
  let baseline = 0;
  for await (const item of stage) {
    n++;
    assert.equal(item.x, n - 1);
    if (n === 20_000) { collectGarbage(); baseline = process.memoryUsage().heapUsed; }
  }
  collectGarbage();
  const growth = process.memoryUsage().heapUsed - baseline;
  assert.equal(n, 200_000);
  // 180k more items of ~60 bytes each would be > 10 MB if anything kept them.
  assert.ok(growth < 4_000_000, `heap grew by ${(growth / 1e6).toFixed(1)} MB over 180k items`);
});

test('prefetch rejects a size below one', () => {
  assert.throws(() => prefetch(0), /size must be a positive integer/);
});
