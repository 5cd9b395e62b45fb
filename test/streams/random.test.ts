import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/base/random.js';

test('an Rng restored from its state continues the same sequence', () => {
  const a = new Rng(7);
  for (let i = 0; i < 5; i++) a.next();
  const b = new Rng(a.state());
  assert.deepEqual([a.next(), a.int(10), a.next()], [b.next(), b.int(10), b.next()]);
});

test('Rng.int is uniform enough over a small range', () => {
  const rng = new Rng('uniform');
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 50_000; i++) counts[rng.int(5)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
});

test('different seeds give different streams', () => {
  assert.notEqual(new Rng(1).next(), new Rng(2).next());
});
