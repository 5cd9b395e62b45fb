/**
 * Expert-weight ANI takes LibMoE's rows: keys in logical order (one row per expert hidden unit),
 * values flattened, expert_sel transposed (one row per input dimension); VLM banks give the same
 * views; shapes that do not fit are named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aniParameter, expertWeightAni } from '../../src/analysis/expert-weight-ani.js';
import type { MoeLayerWeights } from '../../src/models/lm/moe-layer-weights.js';

const p = (name: string, shape: number[], values: number[]) => ({ name, shape, values: Float32Array.from(values) });
const ani = (rows: ReturnType<typeof expertWeightAni>, matrix: string) => rows.find((r) => r.matrix === matrix)!;

test('relu-kv: keys [E, D, s] are compared per hidden unit (rows of length D), expert_sel per input dimension', () => {
  // E = 2, D = 2, s = 2. Hidden unit j of expert e has input weights keys[e, :, j].
  // e0 = [[1, 1], [0, 0]] (D×s): units (1, 0), (1, 0); e1 = [[0, 0], [1, 1]]: units (0, 1), (0, 1).
  // Units: 4 parallel ordered pairs of 12 → 1/3. keys' memory rows (1,1),(0,0),(0,0),(1,1) would give 2/12.
  const keys = [1, 1, 0, 0, 0, 0, 1, 1];
  const values = [1, 0, 1, 0, 0, 1, 0, 1]; // [E=2, s=2, D=2]: unit rows (1,0),(1,0),(0,1),(0,1) → 1/3
  // expert_sel [E=2, D=2] = [[1, 0], [1, 0]]: its rows are parallel (router_rows 1); its columns (1,1) and (0,0): one is zero → 0.
  const layer: MoeLayerWeights = { layer: 3, algorithm: 'moe_layer', expertKind: 'relu-kv', nExperts: 2, params: [p('keys', [2, 2, 2], keys), p('values', [2, 2, 2], values), p('expert_sel', [2, 2], [1, 0, 1, 0])] };
  const rows = expertWeightAni([layer]);
  assert.deepEqual(rows.map((r) => [r.layer, r.matrix, r.parameter, r.rows, r.cols]), [
    [3, 'keys', 'keys', 4, 2], [3, 'values', 'values', 4, 2], [3, 'expert_sel', 'expert_sel', 2, 2], [3, 'router_rows', 'expert_sel', 2, 2],
  ]);
  assert.ok(Math.abs(ani(rows, 'keys').ani - 1 / 3) < 1e-12, String(ani(rows, 'keys').ani));
  assert.ok(Math.abs(ani(rows, 'values').ani - 1 / 3) < 1e-12);
  assert.equal(ani(rows, 'expert_sel').ani, 0);
  assert.equal(ani(rows, 'router_rows').ani, 1);
  // Without a router weight (e.g. Hyper-R), keys and values only.
  assert.deepEqual(expertWeightAni([{ ...layer, params: layer.params.slice(0, 2) }]).map((r) => r.matrix), ['keys', 'values']);
});

test('gelu-mlp: experts.{e}.0.weight rows and experts.{e}.2.weight columns are the hidden units; gate.weight is the router', () => {
  // E = 2, H = 1, D = 2: W1 rows (1, 0) and (-1, 0): antiparallel → −1; W2 [D=2, H=1] columns (0, 1) and (0, 2): parallel → 1.
  const layer: MoeLayerWeights = { layer: 0, algorithm: 'smoe', expertKind: 'gelu-mlp', nExperts: 2, params: [
    p('experts.0.0.weight', [1, 2], [1, 0]), p('experts.0.0.bias', [1], [0]), p('experts.0.2.weight', [2, 1], [0, 1]),
    p('experts.1.0.weight', [1, 2], [-1, 0]), p('experts.1.2.weight', [2, 1], [0, 2]), p('gate.weight', [2, 2], [1, 0, 0, 1]),
  ] };
  const rows = expertWeightAni([layer]);
  assert.deepEqual(rows.map((r) => [r.matrix, r.parameter, r.rows, r.cols, r.ani]), [
    ['keys', 'experts.*.0.weight', 2, 2, -1], ['values', 'experts.*.2.weight', 2, 2, 1], ['expert_sel', 'gate.weight', 2, 2, 0], ['router_rows', 'gate.weight', 2, 2, 0],
  ]);
  assert.throws(() => expertWeightAni([{ ...layer, nExperts: 3 }]), /layer 0 has no experts\.2\.0\.weight/);
});

test('gelu-mlp with an output width other than the input\'s (a VLM projector expert: tower width in, LM width out): values rows have the output width', () => {
  // E = 2, H = 1, D_in = 2, D_out = 3: W2 [3, 1] columns (1, 0, 0) and (0, 1, 0): orthogonal → 0.
  const layer: MoeLayerWeights = { layer: 0, algorithm: 'smoe', expertKind: 'gelu-mlp', nExperts: 2, params: [
    p('experts.0.0.weight', [1, 2], [1, 0]), p('experts.0.2.weight', [3, 1], [1, 0, 0]),
    p('experts.1.0.weight', [1, 2], [1, 0]), p('experts.1.2.weight', [3, 1], [0, 1, 0]),
  ] };
  assert.deepEqual(expertWeightAni([layer]).map((r) => [r.matrix, r.rows, r.cols, r.ani]), [['keys', 2, 2, 1], ['values', 2, 3, 0]]);
  // The hidden width must agree: W2 [D_out, H] beside W1 [H, D_in].
  const bad = { ...layer, params: [...layer.params.slice(0, 3), p('experts.1.2.weight', [1, 3], [0, 1, 0])] };
  assert.throws(() => expertWeightAni([bad]), /experts\.1\.2\.weight has shape \[1, 3\], expected \[D_out, 1\]/);
});

test('a parameter of the wrong rank is named; aniParameter reads only what ANI needs', () => {
  assert.throws(() => expertWeightAni([{ layer: 1, algorithm: 'moe_layer', expertKind: 'relu-kv', nExperts: 2, params: [p('keys', [4, 2], [1, 0, 0, 1, 1, 0, 0, 1]), p('values', [2, 2, 2], [1, 0, 0, 1, 1, 0, 0, 1])] }]),
    /layer 1 parameter keys has shape \[4, 2\], expected \[E, D, s\]/);
  assert.deepEqual(['keys', 'values', 'expert_sel', 'gate.weight', 'experts.12.0.weight', 'experts.0.2.weight', 'experts.0.0.bias', 'keys_shared', 'expert_embeddings', 'sel_bias'].filter(aniParameter),
    ['keys', 'values', 'expert_sel', 'gate.weight', 'experts.12.0.weight', 'experts.0.2.weight']);
});
