import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { skip } from '../../src/ops/skip.js';
import { take } from '../../src/ops/take.js';
import { statsChain, statsOf } from '../../src/ops/support/stats.js';
import { drain } from './helpers.js';

test('stats of a flow read as a chain from source to sink, each op named', async () => {
  const stage = pipe(fromArray([1, 2, 3, 4, 5, 6]), skip<number>(2), take<number>(3))();
  await drain(stage);
  assert.deepEqual(statsChain(stage.stats!()), [{ op: 'skip', skipped: 2, passed: 3 }, { op: 'take', taken: 3 }]);
  assert.deepEqual(statsOf(stage.stats!(), 'skip'), { op: 'skip', skipped: 2, passed: 3 });
  assert.equal(statsOf(stage.stats!(), 'pack'), undefined);
});
