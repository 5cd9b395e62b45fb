import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routesFrom } from '../../src/analysis/routes.js';
import { checkpointChanges, saturation } from '../../src/analysis/checkpoint-dynamics.js';

/** Fractions are means of float divisions: compare to 1e-12. */
function assertClose(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-12, `entry ${i}: ${x} ≠ ${expected[i]}`));
}

const E = 4;
const r100 = routesFrom([[0, 1], [1, 2], [2, 3]], E);
const r200 = routesFrom([[0, 1], [1, 3], [2, 3]], E); // token 1's second pick moved
const r300 = routesFrom([[0, 1], [1, 3], [2, 3]], E); // settled

test('identical checkpoints: switch 0 and saturation 1', () => {
  const series = [{ step: 1, routes: r100 }, { step: 2, routes: r100 }];
  assert.deepEqual(checkpointChanges(series).map((c) => c.switchFraction), [0]);
  assert.deepEqual(saturation(series).map((s) => s.saturation), [1, 1]);
});

test('changes run between consecutive checkpoints in step order, whatever the input order', () => {
  const changes = checkpointChanges([{ step: 300, routes: r300 }, { step: 100, routes: r100 }, { step: 200, routes: r200 }]);
  assert.deepEqual(changes.map((c) => [c.fromStep, c.step]), [[100, 200], [200, 300]]);
  assertClose(changes.map((c) => c.switchFraction), [0.5 / 3, 0]);
  assertClose(changes.map((c) => c.overlapFraction), [1 - 0.5 / 3, 1]);
});

test('saturation is the position match against the final checkpoint, which saturates at 1', () => {
  const s = saturation([{ step: 100, routes: r100 }, { step: 200, routes: r200 }, { step: 300, routes: r300 }]);
  assert.deepEqual(s.map((x) => [x.step, x.finalStep]), [[100, 300], [200, 300], [300, 300]]);
  assertClose(s.map((x) => x.saturation), [1 - 0.5 / 3, 1, 1]);
});

test('a step given twice is an error naming it', () => {
  assert.throws(() => checkpointChanges([{ step: 5, routes: r100 }, { step: 5, routes: r200 }]), /checkpoint step 5 appears twice/);
});
