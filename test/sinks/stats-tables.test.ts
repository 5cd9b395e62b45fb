import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerRoutingStats, TokenBatch } from '../../src/models/train-types.js';
import { domainRows } from '../../src/sinks/tables/routing-domains.js';
import { sampledTokens, tokenRows } from '../../src/sinks/tables/routing-tokens.js';
import { layersTable } from '../../src/sinks/tables/routing-layers.js';
import { metricsTable } from '../../src/sinks/tables/metrics.js';
import { indexTokens, sampledToken } from '../../src/sinks/token-index.js';

// 2 rows × seqLen 2 (windows of 3): row 0 is domain "a", row 1 domain "b"; the last column is a target only.
const batch: TokenBatch = {
  tokens: Int32Array.from([10, 11, 12, 20, 21, 22]), batchSize: 2, seqLen: 2,
  domainIds: Uint8Array.from([0, 0, 0, 1, 1, 1]), domains: ['a', 'b'],
};

function stats(selected: number[]): LayerRoutingStats {
  const E = 3, K = 2;
  return {
    layer: 2, nExperts: E, topK: K, tokens: 4, tokenSlots: new Float64Array(E), top1Count: new Float64Array(E), probMass: new Float64Array(E),
    gateMass: new Float64Array(E), entropyTopKSum: 0, entropyFullSum: 0, marginSum: 0, droppedSlots: 0, aux: {},
    selected: Int32Array.from(selected), gates: Float32Array.from(selected.map((_, i) => (i % 2 ? 0.25 : 0.75))),
  };
}

test('indexTokens maps routed tokens to inputs [:, :-1] with their row, position and domain', () => {
  const idx = indexTokens([batch]);
  assert.deepEqual([...idx.tokenId], [10, 11, 20, 21]);
  assert.deepEqual([...idx.sequence], [0, 0, 1, 1]);
  assert.deepEqual([...idx.position], [0, 1, 0, 1]);
  assert.deepEqual([...idx.domain].map((d) => idx.domains[d]), ['a', 'a', 'b', 'b']);
});

test('indexTokens merges micro-batches whose domain lists differ', () => {
  const other: TokenBatch = { ...batch, domains: ['b', 'c'] };
  const idx = indexTokens([batch, other]);
  assert.deepEqual([...idx.domain].map((d) => idx.domains[d]), ['a', 'a', 'b', 'b', 'b', 'b', 'c', 'c']);
  assert.deepEqual([...idx.sequence], [0, 0, 1, 1, 2, 2, 3, 3]);
});

test('domain rows count token-slots per (expert, domain) and carry the domain token count', () => {
  // tokens of a: {0,1},{0,2}; tokens of b: {1,2},{2,0}
  const rows = domainRows('r', 5, stats([0, 1, 0, 2, 1, 2, 2, 0]), indexTokens([batch]));
  const got = Object.fromEntries(rows.map((r) => [`${r.expert}/${r.domain}`, [r.token_slots, r.domain_tokens]]));
  assert.deepEqual(got, { '0/a': [2, 2], '0/b': [1, 2], '1/a': [1, 2], '1/b': [1, 2], '2/a': [1, 2], '2/b': [2, 2] });
  const slots = rows.reduce((s, r) => s + (r.token_slots as number), 0);
  assert.equal(slots, 4 * 2, 'every token-slot is counted once');
});

test('domain rows refuse a batch that does not match the routed token count', () => {
  assert.throws(() => domainRows('r', 1, { ...stats([0, 1, 0, 2, 1, 2, 2, 0]), tokens: 5 }, indexTokens([batch])), /routed 5 tokens but the step's batches hold 4/);
});

test('token rows at rate 1 list every token with its experts and weights in pick order', () => {
  const rows = tokenRows('r', 3, stats([0, 1, 0, 2, 1, 2, 2, 0]), indexTokens([batch]), sampledTokens(42, 3, 4, 1));
  assert.equal(rows.length, 4);
  assert.deepEqual(Array.from(rows[3]!.experts as ArrayLike<number>), [2, 0]);
  assert.deepEqual(Array.from(rows[3]!.weights as ArrayLike<number>), [0.75, 0.25]);
  assert.equal(rows[3]!.token_id, 21);
  assert.equal(rows[3]!.domain, 'b');
});

test('token sampling is deterministic given the seed and keeps about the requested fraction', () => {
  const pick = (seed: number) => Array.from({ length: 20000 }, (_, t) => sampledToken(seed, 9, t, 0.05));
  assert.deepEqual(pick(1), pick(1));
  assert.notDeepEqual(pick(1), pick(2));
  const kept = pick(1).filter(Boolean).length;
  assert.deepEqual(Array.from(sampledTokens(1, 9, 20000, 0.05)), pick(1).flatMap((k, t) => (k ? [t] : [])));
  assert.ok(kept > 800 && kept < 1200, `kept ${kept} of 20000 at rate 0.05`);
});

test('aux components become aux_<name> columns; a component already named aux_total does not duplicate the metrics column', async () => {
  const { auxColumn } = await import('../../src/sinks/tables/aux-columns.js');
  const layersSpec = (aux: string[]) => layersTable(aux).spec;
  const metricsSpec = (aux: string[]) => metricsTable(aux).spec;
  assert.equal(auxColumn('balance_loss'), 'aux_balance_loss');
  assert.equal(auxColumn('aux_total'), 'aux_total');
  const metricCols = metricsSpec(['balance_loss', 'aux_total']).columns.map((c) => c.name);
  assert.equal(metricCols.filter((c) => c === 'aux_total').length, 1);
  assert.ok(metricCols.includes('aux_balance_loss'));
  const layerCols = layersSpec(['balance_loss', 'aux_total']).columns.map((c) => c.name);
  assert.ok(layerCols.includes('aux_total'), 'per-layer aux_total is kept in the layers table');
});
