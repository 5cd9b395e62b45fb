import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArray } from '../../src/streams/from-array.js';
import { mix } from '../../src/streams/mix.js';
import { drain } from './support/fixtures.js';
import { assertResumes } from './support/resume.js';

const tagged = (tag: string, n: number) => fromArray(Array.from({ length: n }, (_, i) => `${tag}${i}`));

test('drawn proportions converge to the weights', async () => {
  const flow = mix([{ flow: tagged('a', 50_000), weight: 1 }, { flow: tagged('b', 50_000), weight: 2 }, { flow: tagged('c', 50_000), weight: 7 }], { seed: 5 });
  const items = await drain(flow(), 30_000);
  const share = (tag: string) => items.filter((x) => x.startsWith(tag)).length / items.length;
  assert.ok(Math.abs(share('a') - 0.1) < 0.01, `a ${share('a')}`);
  assert.ok(Math.abs(share('b') - 0.2) < 0.01, `b ${share('b')}`);
  assert.ok(Math.abs(share('c') - 0.7) < 0.01, `c ${share('c')}`);
});

test('the mix is deterministic for a seed and differs between seeds; each child keeps its own order', async () => {
  const make = (seed: number) => mix([{ flow: tagged('a', 100), weight: 1 }, { flow: tagged('b', 100), weight: 1 }], { seed });
  const one = await drain(make(1)(), 50);
  assert.deepEqual(await drain(make(1)(), 50), one);
  assert.notDeepEqual(await drain(make(2)(), 50), one);
  const as = one.filter((x) => x.startsWith('a'));
  assert.deepEqual(as, as.map((_, i) => `a${i}`));
});

test('first_exhausted ends when a drawn flow runs dry; all_exhausted yields every item of every flow', async () => {
  const inputs = [{ flow: tagged('a', 10), weight: 1 }, { flow: tagged('b', 200), weight: 1 }];
  const first = await drain(mix(inputs, { seed: 3 })());
  assert.equal(first.filter((x) => x.startsWith('a')).length, 10);
  assert.ok(first.length < 60, `stopped early after ${first.length}`);
  const all = await drain(mix(inputs, { seed: 3, stopping: 'all_exhausted' })());
  assert.equal(all.length, 210);
  assert.deepEqual(all.filter((x) => x.startsWith('b')), Array.from({ length: 200 }, (_, i) => `b${i}`));
});

for (const stopping of ['first_exhausted', 'all_exhausted'] as const) {
  test(`a resumed mix (${stopping}) continues exactly like an uninterrupted one, also across an exhaustion`, async () => {
    const flow = mix([{ flow: tagged('a', 8), weight: 3 }, { flow: tagged('b', 30), weight: 1 }, { flow: tagged('c', 30), weight: 2 }], { seed: 11, stopping });
    await assertResumes(flow, [[0, 3], [4, 4], [9, 1], [15, 20], [25, 3], [60, 5]], stopping);
  });
}

test('weights must be positive and a state must fit the mix', () => {
  assert.throws(() => mix([{ flow: tagged('a', 1), weight: 0 }], { seed: 1 }), /weight 0 must be a finite number > 0/);
  assert.throws(() => mix([{ flow: tagged('a', 1), weight: 1 }], { seed: 1 })({ children: [] }), /does not match a mix of 1 flows/);
});
