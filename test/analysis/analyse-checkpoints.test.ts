import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseCheckpoints, type CheckpointProbe } from '../../src/analysis/analyse-checkpoints.js';
import { routesFrom } from '../../src/analysis/routes.js';
import { perplexityOf } from '../../src/analysis/ablation.js';

const E = 4;
const layer = (layerId: number, picks: number[][]) => ({ layer: layerId, ...routesFrom(picks, E) });
const A = [[0, 1], [1, 2], [2, 3], [3, 0]];
const B = [[1, 0], [1, 2], [2, 3], [3, 0]]; // token 0's picks swap slots
const lp = (x: number) => Float32Array.of(x, x, x, NaN);

function probes(): CheckpointProbe[] {
  return [
    { step: 20, layers: [layer(0, B), layer(1, A)], nextLogprob: new Map([[0, lp(-1)], [1, lp(-2)]]) },
    { step: 10, layers: [layer(0, A), layer(1, A)], nextLogprob: new Map([[0, lp(-1)], [1, lp(-1.5)]]) },
  ];
}
const OPTS = { runId: 'r', tokenIds: [5, 5, 6, 7], domains: ['web', 'web', 'code', 'code'], windowTokens: 2, minOccurrences: 1 };

test('dynamics: per layer and domain, switches since the previous checkpoint and saturation against the last', () => {
  const rows = analyseCheckpoints(probes(), OPTS).dynamics;
  const at = (step: number, l: number, domain: string) => rows.find((r) => r.step === step && r.layer === l && r.domain === domain)!;
  assert.equal(rows.length, 2 * 2 * 3); // steps × layers × (all, web, code)
  assert.equal(at(10, 0, 'all').from_step, -1);
  assert.ok(Number.isNaN(at(10, 0, 'all').switch_fraction as number));
  assert.equal(at(20, 0, 'all').switch_fraction, 0.25);
  assert.equal(at(20, 0, 'web').switch_fraction, 0.5);
  assert.equal(at(20, 0, 'code').switch_fraction, 0);
  assert.equal(at(20, 1, 'all').switch_fraction, 0, 'identical checkpoints: switch 0');
  assert.equal(at(10, 1, 'all').saturation, 1, 'identical checkpoints: saturation 1');
  assert.equal(at(10, 0, 'all').saturation, 0.75);
  assert.equal(at(20, 0, 'all').overlap_fraction, 1);
});

test('every table gets rows keyed by run and step; ablation deltas are against the intact model of the same step', () => {
  const rows = analyseCheckpoints(probes(), OPTS);
  assert.equal(rows.specialisation.length, 2 * 2 * 2 * E);
  assert.equal(rows.cooccurrence.length, 2 * 2 * E * E);
  assert.equal(rows.layers.length, 2 * 2 * 2);
  assert.deepEqual(rows.universality.map((r) => [r.step, r.score]), [[10, 1], [20, 1]]);
  assert.equal(rows.usage.filter((r) => r.window === -1).length, 4);
  assert.deepEqual(rows.vocabulary.filter((r) => r.step === 10 && r.layer === 0).map((r) => [r.token_id, r.occurrences]), [[5, 2], [6, 1], [7, 1]]);
  const abl = rows.ablation.filter((r) => r.domain === 'all').map((r) => [r.step, r.drop_top, r.tokens, r.perplexity, r.delta_perplexity]);
  assert.deepEqual(abl, [[10, 0, 3, Math.E, 0], [10, 1, 3, Math.exp(1.5), Math.exp(1.5) - Math.E], [20, 0, 3, Math.E, 0], [20, 1, 3, Math.exp(2), Math.exp(2) - Math.E]]);
  for (const table of Object.values(rows)) for (const r of table) assert.equal(r.run_id, 'r');
});

test('checkpoints with different MoE layers cannot be analysed together', () => {
  const p = probes();
  assert.throws(() => analyseCheckpoints([p[0]!, { ...p[1]!, layers: [layer(0, A)] }], OPTS), /checkpoint step 20 has MoE layers 0,1, step 10 has 0/);
});

test('perplexity skips the positions with nothing to predict', () => {
  assert.deepEqual(perplexityOf(Float32Array.of(-2, NaN, -4)), { tokens: 2, meanNll: 3, perplexity: Math.exp(3) });
  assert.equal(perplexityOf([NaN]).tokens, 0);
});

test('components: each has its own token space; layers are compared within a component; a decoder routing both modalities is split by modality', () => {
  // A VLM: two vision layers over 3 image tokens, one decoder layer over 4 rows (2 image feature rows, 2 text tokens).
  const vision = (l: number, picks: number[][]) => ({ ...layer(l, picks), component: 'vision' as const });
  const lm = { ...layer(0, [[0, 1], [0, 1], [2, 3], [2, 3]]), component: 'language_model' as const };
  const p = (step: number): CheckpointProbe => ({ step, layers: [vision(0, [[0, 1], [1, 2], [0, 1]]), vision(1, [[2, 3], [2, 3], [0, 1]]), lm], nextLogprob: new Map([[0, lp(-1)]]) });
  const rows = analyseCheckpoints([p(1), p(2)], {
    runId: 'v', tokenIds: [], domains: [], windowTokens: 8, minOccurrences: 1,
    spaces: {
      vision: { tokenIds: [0, 1, 0], domains: ['a', 'a', 'b'] },
      language_model: { tokenIds: [-1, -1, 9, 9], domains: ['a', 'a', 'a', 'b'], modalities: ['image', 'image', 'text', 'text'] },
    },
  });
  const key = (r: Record<string, unknown>) => `${r.component} ${r.layer}`;
  assert.deepEqual([...new Set(rows.dynamics.map(key))], ['vision 0', 'vision 1', 'language_model 0']);
  assert.ok(rows.dynamics.filter((r) => r.step === 2).every((r) => r.switch_fraction === 0 && r.saturation === 1), 'identical checkpoints: switch 0, saturation 1 in every component');
  assert.deepEqual(rows.dynamics.filter((r) => r.step === 1 && r.domain === 'all').map((r) => [key(r), r.tokens]), [['vision 0', 3], ['vision 1', 3], ['language_model 0', 4]]);
  // Layer similarity and universality per component: the vision pair, and the decoder layer alone.
  assert.deepEqual(rows.layers.filter((r) => r.step === 1).map((r) => [r.component, r.layer, r.other]), [['vision', 0, 0], ['vision', 0, 1], ['vision', 1, 0], ['vision', 1, 1], ['language_model', 0, 0]]);
  assert.deepEqual(rows.universality.filter((r) => r.step === 1).map((r) => [r.component, r.layers]), [['vision', 2], ['language_model', 1]]);
  // Vision tokens are all image tokens: no split. The decoder: by domain (modality all), then by modality (domain all).
  const spec = rows.specialisation.filter((r) => r.step === 1);
  assert.deepEqual([...new Set(spec.filter((r) => r.component === 'vision').map((r) => `${r.modality}/${r.domain}`))], ['image/a', 'image/b']);
  assert.deepEqual([...new Set(spec.filter((r) => r.component === 'language_model').map((r) => `${r.modality}/${r.domain}`))], ['all/a', 'all/b', 'image/all', 'text/all']);
  const image = spec.filter((r) => r.component === 'language_model' && r.modality === 'image');
  assert.deepEqual(image.map((r) => [r.expert, r.share]), [[0, 1], [1, 1], [2, 0], [3, 0]], 'both image rows pick experts 0 and 1');
  // Vocabulary: vision positions as ids; the decoder's image rows (id −1) are left out.
  assert.deepEqual(rows.vocabulary.filter((r) => r.step === 1 && r.component === 'vision' && r.layer === 0).map((r) => [r.token_id, r.occurrences]), [[0, 2], [1, 1]]);
  assert.deepEqual(rows.vocabulary.filter((r) => r.step === 1 && r.component === 'language_model').map((r) => [r.token_id, r.occurrences, r.top_share]), [[9, 2, 1]]);
  // The ablation is measured in the decoder's token space (its domains).
  assert.deepEqual(rows.ablation.filter((r) => r.step === 1).map((r) => [r.domain, r.tokens]), [['all', 3], ['a', 3], ['b', 0]]);
});
