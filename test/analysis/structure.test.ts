import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routesFrom } from '../../src/analysis/routes.js';
import { coOccurrence, coOccurrenceCounts } from '../../src/analysis/co-occurrence.js';
import { tokenJaccard, universality, usageSimilarity } from '../../src/analysis/layer-similarity.js';
import { usage, usageWindows } from '../../src/analysis/usage-windows.js';
import { averageNormalisedInnerProduct } from '../../src/analysis/normalised-inner-product.js';

test('co-occurrence counts pairs picked by the same token; rows are normalised by how often the row expert is picked', () => {
  const r = routesFrom([[0, 1], [0, 1], [0, 2], [2, 1]], 4);
  const c = coOccurrenceCounts(r);
  assert.deepEqual([...c.subarray(0, 4)], [3, 2, 1, 0]);
  const n = coOccurrence(r);
  assert.deepEqual([...n.subarray(0, 4)], [1, 2 / 3, 1 / 3, 0]);
  assert.deepEqual([...n.subarray(4, 8)], [2 / 3, 1, 1 / 3, 0]);
  assert.deepEqual([...n.subarray(12, 16)], [0, 0, 0, 0], 'an unused expert has a zero row, as in LibMoE (divisor clamped at 1)');
});

test('usage similarity: identical usage is 1 everywhere, disjoint usage is 0 off the diagonal', () => {
  const l0 = routesFrom([[0], [1]], 4);
  const l1 = routesFrom([[1], [0]], 4); // same usage, different tokens
  const l2 = routesFrom([[2], [3]], 4);
  const s = usageSimilarity([l0, l1, l2]);
  assert.deepEqual([...s], [1, 1, 0, 1, 1, 0, 0, 0, 1]);
  const u = universality(s, 3);
  assert.equal(u.score, 5 / 9); // LibMoE: mean of the whole matrix, diagonal included
  assert.equal(u.optimist, (1 + 1 + 0) / 3); // best other layer: l2 has none alike
});

test('usage similarity is Σ min(u_l, u_m) over the experts', () => {
  const a = routesFrom([[0], [0], [0], [1]], 2); // u = (3/4, 1/4)
  const b = routesFrom([[0], [1], [1], [1]], 2); // u = (1/4, 3/4)
  const s = usageSimilarity([a, b]);
  assert.deepEqual([...s], [1, 0.5, 0.5, 1]);
});

test('token Jaccard compares the same token across layers: same usage with swapped tokens scores 0', () => {
  const l0 = routesFrom([[0, 1], [2, 3]], 4);
  const l1 = routesFrom([[2, 3], [0, 1]], 4);
  const l2 = routesFrom([[0, 2], [2, 3]], 4); // token 0 shares 1 of 3 distinct experts, token 1 all
  const j = tokenJaccard([l0, l1, l2]);
  assert.equal(j[0 * 3 + 1], 0);
  assert.equal(j[0 * 3 + 2], (1 / 3 + 1) / 2);
  assert.equal(j[0], 1);
});

test('usage: dead proportion and relative perplexity, balanced and collapsed', () => {
  const balanced = usage(routesFrom([[0], [1], [2], [3]], 4));
  assert.equal(balanced.deadProportion, 0);
  assert.ok(Math.abs(balanced.usagePerplexity - 1) < 1e-12);
  assert.deepEqual(usage(routesFrom([[0], [0], [0], [0]], 4)), { deadProportion: 0.75, usagePerplexity: 0.25 });
});

test('usage windows split the tokens in order; the last window may be short', () => {
  const r = routesFrom([[0], [1], [0], [0], [1]], 2);
  const w = usageWindows(r, 2);
  assert.deepEqual(w.map((x) => [x.window, x.fromToken, x.tokens, x.deadProportion]), [[0, 0, 2, 0], [1, 2, 2, 0.5], [2, 4, 1, 0.5]]);
  assert.ok(Math.abs(w[0]!.usagePerplexity - 1) < 1e-12);
  assert.throws(() => usageWindows(r, 0), /positive integer of tokens, got 0/);
});

test('average normalised inner product: orthogonal rows 0, identical directions 1, diagonal excluded', () => {
  assert.equal(averageNormalisedInnerProduct([1, 0, 0, 1], 2, 2), 0);
  assert.ok(Math.abs(averageNormalisedInnerProduct([1, 1, 2, 2, 3, 3], 3, 2) - 1) < 1e-12);
  assert.ok(Math.abs(averageNormalisedInnerProduct([1, 0, 0, 1, 1, 1], 3, 2) - (2 * Math.SQRT1_2 * 2) / 6) < 1e-12);
  // As LibMoE's F.normalize: a zero row is similar to nothing but counts in the pairs.
  assert.equal(averageNormalisedInnerProduct([1, 0, 0, 0, 1, 0], 3, 2), 2 / 6);
  assert.throws(() => averageNormalisedInnerProduct([1, 0, 0], 2, 2), /3 values for 2×2/);
  assert.ok(Number.isNaN(averageNormalisedInnerProduct([1, 2], 1, 2)));
});

test('average normalised inner product equals the pairwise definition on a random matrix', () => {
  let s = 11;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 8) / 2 ** 24 - 0.3; };
  const [rows, cols] = [9, 5];
  const m = Float32Array.from({ length: rows * cols }, rnd);
  const row = (i: number): Float32Array => m.subarray(i * cols, (i + 1) * cols);
  const dot = (a: Float32Array, b: Float32Array): number => a.reduce((acc, x, c) => acc + x * b[c]!, 0);
  let sum = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) if (i !== j) sum += dot(row(i), row(j)) / Math.sqrt(dot(row(i), row(i)) * dot(row(j), row(j)));
  const got = averageNormalisedInnerProduct(m, rows, cols);
  assert.ok(Math.abs(got - sum / (rows * (rows - 1))) < 1e-12, `${got} vs ${sum / (rows * (rows - 1))}`);
  assert.ok(Math.abs(got) > 0.01, 'a non-trivial value');
});
