import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routesFrom } from '../../src/analysis/routes.js';
import { domainSpecialisation } from '../../src/analysis/domain-specialisation.js';
import { tokenConcentration } from '../../src/analysis/token-concentration.js';

test('domain specialisation: a domain served only by experts 0 and 1 has share 1 there, k/E-uniform ratio E/k', () => {
  const E = 4;
  const r = routesFrom([[0, 1], [1, 0], [2, 3], [3, 0]], E);
  const rows = domainSpecialisation(r, ['code', 'code', 'web', 'web']);
  const code = rows.filter((x) => x.domain === 'code');
  assert.deepEqual(code.map((x) => x.share), [1, 1, 0, 0]);
  assert.deepEqual(code.map((x) => x.vsUniform), [2, 2, 0, 0]);
  const web = rows.filter((x) => x.domain === 'web');
  assert.deepEqual(web.map((x) => x.tokens), [1, 0, 1, 2]);
  assert.deepEqual(web.map((x) => x.share), [0.5, 0, 0.5, 1]);
  assert.ok(web.every((x) => x.domainTokens === 2));
});

test('domain specialisation: uniform routing gives ratio 1 for every expert, and shares sum to k', () => {
  const r = routesFrom([[0, 1], [2, 3], [1, 2], [3, 0]], 4);
  const rows = domainSpecialisation(r, ['a', 'a', 'a', 'a']);
  assert.deepEqual(rows.map((x) => x.vsUniform), [1, 1, 1, 1]);
  assert.equal(rows.reduce((s, x) => s + x.share, 0), 2);
});

test('domain specialisation needs one label per token', () => {
  assert.throws(() => domainSpecialisation(routesFrom([[0]], 2), []), /0 domain labels for 1 tokens/);
});

test('token concentration: a token id always routed to the same experts has top share 1 and entropy ln(k)/ln(E)', () => {
  const E = 4;
  const r = routesFrom([[2, 1], [1, 2], [0, 3], [3, 1]], E);
  const rows = tokenConcentration(r, [7, 7, 9, 9]);
  assert.deepEqual(rows.map((x) => x.tokenId), [7, 9]);
  const seven = rows[0]!;
  assert.equal(seven.occurrences, 2);
  assert.equal(seven.topExpert, 1); // tie between 1 and 2 broken by lowest index
  assert.equal(seven.topShare, 1);
  assert.ok(Math.abs(seven.normalisedEntropy - Math.log(2) / Math.log(4)) < 1e-12);
  const nine = rows[1]!;
  assert.equal(nine.topExpert, 3);
  assert.equal(nine.topShare, 1);
  assert.ok(Math.abs(nine.normalisedEntropy - (1.5 * Math.log(2)) / Math.log(4)) < 1e-12); // slots 1/4,1/4,1/2
});

test('token concentration leaves out rare token ids when asked', () => {
  const r = routesFrom([[0], [1], [1]], 2);
  assert.deepEqual(tokenConcentration(r, [4, 5, 5], 2).map((x) => [x.tokenId, x.topShare]), [[5, 1]]);
});
