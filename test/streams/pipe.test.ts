import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { take } from '../../src/ops/take.js';
import { drain } from '../support/drain.js';


test('a flow rebuilt from a saved state continues with exactly the next item', async () => {
  const flow = pipe(fromArray([1, 2, 3, 4, 5, 6, 7]), take<number>(6));
  const first = flow();
  const head = await drain(first, 2);
  const saved = first.state();
  const rest = await drain(flow(JSON.parse(JSON.stringify(saved))));
  assert.deepEqual([...head, ...rest], [1, 2, 3, 4, 5, 6]);
});

test('a state from a different flow is rejected with a message naming the operator', () => {
  const flow = pipe(fromArray([1]), take<number>(1));
  assert.throws(() => flow(42), /pipe \(operator 1\): resume state does not match/);
});
