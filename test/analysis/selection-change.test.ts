import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routesFrom } from '../../src/analysis/routes.js';
import { overlapFraction, positionMatch, switchFraction } from '../../src/analysis/selection-change.js';

const E = 8;
const a = routesFrom([[0, 1], [2, 3], [4, 5], [6, 7]], E);

test('identical routes: no switch, full overlap, every position matches', () => {
  assert.equal(switchFraction(a, a), 0);
  assert.equal(overlapFraction(a, a), 1);
  assert.equal(positionMatch(a, a), 1);
});

test('disjoint experts: overlap 0 and a full switch', () => {
  const b = routesFrom([[2, 3], [0, 1], [6, 7], [4, 5]], E);
  assert.equal(overlapFraction(a, b), 0);
  assert.equal(switchFraction(a, b), 1);
});

test('a permutation of the experts between checkpoints is a full switch', () => {
  const perm = [3, 5, 7, 1, 0, 2, 4, 6]; // no fixed point
  const b = routesFrom([[0, 1], [2, 3], [4, 5], [6, 7]].map((p) => p.map((e) => perm[e]!)), E);
  assert.equal(switchFraction(a, b), 1);
  assert.equal(positionMatch(a, b), 0);
});

test('swapping the top two picks keeps the set (overlap 1) but changes every slot (switch 1)', () => {
  const b = routesFrom([[1, 0], [3, 2], [5, 4], [7, 6]], E);
  assert.equal(overlapFraction(a, b), 1);
  assert.equal(switchFraction(a, b), 1);
});

test('fractions are per slot, averaged over tokens', () => {
  // token 0: second slot changes (1/2); token 1: unchanged; token 2: both change, one of them to the other's expert; token 3: unchanged
  const b = routesFrom([[0, 7], [2, 3], [5, 0], [6, 7]], E);
  assert.equal(switchFraction(a, b), (0.5 + 0 + 1 + 0) / 4);
  assert.equal(overlapFraction(a, b), (0.5 + 1 + 0.5 + 1) / 4);
});

test('routes of different probe sets cannot be compared', () => {
  const short = routesFrom([[0, 1]], E);
  assert.throws(() => switchFraction(a, short), /differ in shape .*same probe set/);
});

test('an empty probe set gives NaN, as in LibMoE, not a made-up number', () => {
  const empty = { tokens: 0, k: 2, experts: E, selected: new Int32Array(0) };
  assert.ok(Number.isNaN(switchFraction(empty, empty)));
});

test('bad routes name the token', () => {
  assert.throws(() => routesFrom([[0, 1], [2, 2]], E), /token 1 picks expert 2 twice/);
  assert.throws(() => routesFrom([[0, 1], [2, 9]], E), /token 1 slot 1 picks expert 9, outside 0…7/);
  assert.throws(() => routesFrom([[0, 1], [2]], E), /token 1 has 1 picks, token 0 has 2/);
});
