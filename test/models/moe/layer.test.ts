import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';
import { createMoeLayer, moeAlgorithms } from '../../../src/models/moe/registry.js';
import { upcycleDenseFfn } from '../../../src/models/moe/upcycle-ffn.js';
import { hyperDynamicK } from '../../../src/models/moe/routers/hyperrouter.js';
import { pyRound } from '../../../src/models/moe/host-topk.js';
import { nextRemoeLambda } from '../../../src/models/moe/routers/moe-layer-remoe.js';
import type { MoeLayerSpec } from '../../../src/models/moe/types.js';

const CTX = { training: true, step: 0, totalSteps: 10 };

function lmSpec(algorithm: string, options: MoeLayerSpec['options'] = {}): MoeLayerSpec {
  return { algorithm, dModel: 8, nExperts: 8, topK: 2, expert: { kind: 'relu-kv', size: 6 }, options, seed: 3 };
}

function vlmSpec(algorithm: string, options: MoeLayerSpec['options'] = {}): MoeLayerSpec {
  return { algorithm, dModel: 8, nExperts: 4, topK: 2, expert: { kind: 'gelu-mlp', hidden: 12 }, options, seed: 3 };
}

const input = () => tf.randomNormal([2, 5, 8], 0, 1, 'float32', 9) as Tensor3D;

test('the registry holds every LibMoE algorithm under its LibMoE name', () => {
  assert.deepEqual(moeAlgorithms(), [
    'hyperrouter', 'moe_layer', 'moe_layer_deepseekv2', 'moe_layer_deepseekv3', 'moe_layer_remoe', 'moe_layer_tc_moe', 'moe_layer_xmoe',
    'remoe', 'smoe', 'smoe_cosinegating', 'smoe_perturbed', 'smoe_plus_plus', 'smoe_share', 'smoe_sharev3', 'smoe_sigmoidgating',
    'smoe_sigmoidgating_v1', 'smoe_tcmoe', 'xmoe',
  ]);
});

test('an unknown algorithm or a bad option fails with a message naming it', () => {
  assert.throws(() => createMoeLayer(lmSpec('moe_layer_nope')), /unknown MoE algorithm 'moe_layer_nope'.*moe_layer/);
  assert.throws(() => createMoeLayer(lmSpec('moe_layer', { selection_mode: 'softplus' })), /selection_mode must be one of gate, sigmoid/);
  assert.throws(() => createMoeLayer(lmSpec('moe_layer_xmoe', { perplexity_reg_mode: 'standard' })), /perplexity_reg_mode/);
});

test('every algorithm trains a step on wasm with a finite loss and finite gradients', async () => {
  await selectBackend('wasm');
  for (const name of moeAlgorithms()) {
    const spec = name.startsWith('moe_layer') ? lmSpec(name, name === 'moe_layer_xmoe' ? { perplexity_reg_mode: 'step' } : name === 'moe_layer_tc_moe' ? { perplexity_reg_mode: 'tcmoe' } : {}) : vlmSpec(name);
    const layer = createMoeLayer(spec);
    const x = input();
    const { value, grads } = tf.variableGrads(() => {
      const out = layer.apply(x, { ...CTX, step: 5 });
      return tf.add(tf.mean(tf.square(out.y)), out.auxTotal) as tf.Scalar;
    }, [...layer.variables.values()]);
    assert.ok(Number.isFinite(value.dataSync()[0]!), `${name}: loss`);
    assert.ok(Object.keys(grads).length > 0, `${name}: gradients`);
    for (const g of Object.values(grads)) assert.ok(g.dataSync().every(Number.isFinite), `${name}: finite gradients`);
    tf.dispose([value, x, ...Object.values(grads)]);
    layer.dispose();
  }
});

test('repeated training steps do not grow the number of live tensors', async () => {
  await selectBackend('wasm');
  const layer = createMoeLayer(lmSpec('moe_layer_deepseekv2', { perplexity_reg_mode: 'deepseek', n_group: 4, topk_group: 2, selection_mode: 'sigmoid' }));
  const x = input();
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const { value, grads } = tf.variableGrads(() => {
      const out = layer.apply(x, CTX);
      return tf.add(tf.sum(out.y), out.auxTotal) as tf.Scalar;
    }, [...layer.variables.values()]);
    tf.dispose([value, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  assert.equal(new Set(counts).size, 1, `live tensors per step: ${counts.join(', ')}`);
  layer.dispose();
  x.dispose();
});

test('routing statistics count every token-slot and every first pick', async () => {
  await selectBackend('cpu');
  const layer = createMoeLayer(vlmSpec('smoe'));
  tf.tidy(() => {
    const out = layer.apply(input(), CTX);
    const sum = (t: tf.Tensor) => tf.sum(t).dataSync()[0]!;
    assert.equal(sum(out.stats.tokenSlots), 10 * 2);
    assert.equal(sum(out.stats.top1Count), 10);
    assert.ok(Math.abs(sum(out.stats.probMass) - 10) < 1e-4);
    assert.ok(Math.abs(sum(out.stats.gateMass) - 10) < 1e-4);
    assert.equal(out.stats.droppedSlots.dataSync()[0], 0);
    assert.ok(out.stats.marginSum.dataSync()[0]! >= 0);
  });
  layer.dispose();
});

test('DeepSeek aux-free bias moves against the load and is restored by setState', async () => {
  await selectBackend('cpu');
  const spec = lmSpec('moe_layer_deepseekv2', { perplexity_reg_mode: 'deepseek', n_group: 4, topk_group: 2 });
  const layer = createMoeLayer(spec);
  const x = input();
  const s0 = layer.state();
  const y1 = tf.tidy(() => layer.apply(x, CTX).y.arraySync());
  const bias = (layer.state() as { e_score_correction_bias: number[] }).e_score_correction_bias;
  assert.ok(bias.some((b) => b !== 0), 'the bias changed');
  assert.ok(bias.every((b) => Math.abs(Math.abs(b) - 0.001) < 1e-9 || b === 0), 'steps of ±0.001');
  layer.setState(s0);
  assert.deepEqual(tf.tidy(() => layer.apply(x, CTX).y.arraySync()), y1);
  assert.throws(() => layer.setState({ e_score_correction_bias: [1, 2] }), /8 numbers/);
  const plain = createMoeLayer(lmSpec('moe_layer'));
  assert.deepEqual(plain.state(), {});
  assert.throws(() => plain.setState(layer.state()), /moe_layer: this layer has no state/);
  plain.dispose();
  layer.dispose();
  x.dispose();
});

test('ReMoE λ follows the sparsity target and stays float32', () => {
  assert.equal(nextRemoeLambda(0.01, 0.4, 0.75, 1.2, 1e-6, 100), Math.fround(0.012));
  assert.equal(nextRemoeLambda(0.05, 0.5, 0.25, 1.2, 1e-6, 100), Math.fround(0.05 / 1.2));
  assert.equal(nextRemoeLambda(1e-6, 0.9, 0.25, 1.2, 1e-6, 100), Math.fround(1e-6));
});

test('Hyper-R dynamic K rounds half to even like Python', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 1.4999, 2.6].map(pyRound), [0, 2, 2, 0, -2, 1, 3]);
  assert.equal(hyperDynamicK(1, 2, 2, 4), 1);
  assert.equal(hyperDynamicK(1, 3, 8, 10), 3);
  assert.equal(hyperDynamicK(1, 3, 10, 10), 3);
});

test('an upcycled layer computes exactly its dense FFN at initialisation', async () => {
  await selectBackend('wasm');
  const spec: MoeLayerSpec = { ...vlmSpec('smoe'), nExperts: 6, topK: 3 };
  const h = 12, d = 8;
  const r = (n: number, s: number) => Float32Array.from(tf.randomNormal([n], 0, s, 'float32', n).dataSync());
  const dense = { w1: r(h * d, 0.3), b1: r(h, 0.1), w2: r(d * h, 0.3), b2: r(d, 0.1), hidden: h };
  const layer = upcycleDenseFfn(spec, dense);
  tf.tidy(() => {
    const x = tf.mul(input(), 4) as Tensor3D;
    const y = layer.apply(x, CTX).y;
    const x2 = tf.reshape(x, [10, d]);
    const pre = tf.add(tf.matMul(x2, tf.tensor2d(dense.w1, [h, d]), false, true), dense.b1);
    const g = tf.mul(tf.mul(pre, 0.5), tf.add(tf.erf(tf.mul(pre, Math.SQRT1_2)), 1));
    const want = tf.add(tf.matMul(g, tf.tensor2d(dense.w2, [d, h]), false, true), dense.b2);
    const err = tf.max(tf.abs(tf.sub(tf.reshape(y, [10, d]), want))).dataSync()[0]!;
    assert.ok(err < 1e-5, `max |moe − dense| = ${err}`);
  });
  layer.dispose();
});

test('every algorithm handles one token, odd batch sizes and K = 1 (K = 2 for shared-expert variants)', async () => {
  await selectBackend('cpu');
  const shapes: [number, number][] = [[1, 1], [3, 4]];
  for (const name of moeAlgorithms()) {
    const lm = name.startsWith('moe_layer');
    for (const topK of [name.startsWith('smoe_share') ? 2 : 1, 3]) {
      const base = lm ? lmSpec(name, name === 'moe_layer_xmoe' ? { perplexity_reg_mode: 'time' } : {}) : vlmSpec(name, name === 'hyperrouter' ? { topk_min: 1, topk_max: topK } : {});
      const layer = createMoeLayer({ ...base, topK });
      for (const [b, t] of shapes) {
        tf.tidy(() => {
          const out = layer.apply(tf.randomNormal([b, t, 8], 0, 1, 'float32', b + t) as Tensor3D, CTX);
          assert.deepEqual(out.y.shape, [b, t, 8], `${name} K=${topK} [${b},${t}]`);
          assert.ok(out.y.dataSync().every(Number.isFinite), `${name} K=${topK} [${b},${t}]: finite output`);
          assert.ok(Number.isFinite(out.auxTotal.dataSync()[0]!), `${name}: finite aux`);
          assert.equal(out.selected.length, b * t * out.k);
        });
      }
      layer.dispose();
    }
  }
});

test('a capacity factor on the layer drops slots and reports them in the statistics', async () => {
  await selectBackend('cpu');
  const layer = createMoeLayer({ ...lmSpec('moe_layer'), capacityFactor: 0.25 });
  tf.tidy(() => {
    const out = layer.apply(input(), CTX);
    // 20 slots over 8 experts: at most ceil(0.25·20/8) = 1 slot each.
    assert.ok(out.stats.droppedSlots.dataSync()[0]! >= 20 - 8);
  });
  layer.dispose();
});

test('statGroups: each token group gets the statistics of its own tokens, the groups add up to the call, and nothing else changes', async () => {
  await selectBackend('cpu');
  // A capacity factor, so dropped slots are split too; 10 tokens: group 0, group 1, and one in neither (−1, padding).
  const layer = createMoeLayer({ ...lmSpec('moe_layer'), capacityFactor: 0.5 });
  const groupOf = Int32Array.from([0, 1, 1, 0, -1, 1, 0, 0, 1, 1]);
  tf.tidy(() => {
    const x = input();
    const whole = layer.apply(x, CTX);
    const split = layer.apply(x, { ...CTX, statGroups: { groupOf, count: 2 } });
    assert.equal(whole.groupStats, undefined, 'no groups asked, none computed');
    assert.deepEqual(Array.from(split.y.dataSync()), Array.from(whole.y.dataSync()), 'the output is unchanged');
    assert.deepEqual(Array.from(split.selected), Array.from(whole.selected));
    const groups = split.groupStats!;
    assert.deepEqual(groups.map((g) => Array.from(g.tokens)), [[0, 3, 6, 7], [1, 2, 5, 8, 9]]);
    const vec = (t: tf.Tensor) => Array.from(t.dataSync());
    const one = (t: tf.Tensor) => t.dataSync()[0]!;
    // Group 0 alone: its first picks and slots are those of its tokens in the call's selections.
    const k = split.k;
    const top1 = new Array(8).fill(0);
    for (const t of groups[0]!.tokens) top1[split.selected[t * k]!]++;
    assert.deepEqual(vec(groups[0]!.stats.top1Count), top1);
    // The groups plus the padding token (10 − 9 = 1 token) make the whole call.
    const padding = layer.apply(x, { ...CTX, statGroups: { groupOf: Int32Array.from(groupOf, (g) => (g < 0 ? 0 : -1)), count: 1 } }).groupStats![0]!.stats;
    const parts = [groups[0]!.stats, groups[1]!.stats, padding];
    for (const key of ['tokenSlots', 'top1Count', 'probMass', 'gateMass'] as const) {
      const sum = parts.map((p) => vec(p[key])).reduce((a, b) => a.map((v, i) => v + b[i]!));
      vec(whole.stats[key]).forEach((v, i) => assert.ok(Math.abs(v - sum[i]!) < 1e-4, `${key}[${i}]: ${v} vs ${sum[i]}`));
    }
    for (const key of ['entropyTopKSum', 'entropyFullSum', 'marginSum', 'droppedSlots'] as const) {
      const sum = parts.reduce((a, p) => a + one(p[key]), 0);
      assert.ok(Math.abs(one(whole.stats[key]) - sum) < 1e-4, `${key}: ${one(whole.stats[key])} vs ${sum}`);
    }
    assert.ok(one(whole.stats.droppedSlots) > 0, 'the capacity factor drops slots');
  });
  layer.dispose();
});

test('MoE++ with copy experts routes to identity experts and keeps the constant expert last', async () => {
  await selectBackend('cpu');
  const layer = createMoeLayer({ ...vlmSpec('smoe_plus_plus', { n_copy_experts: 2 }), topK: 1 });
  assert.deepEqual(layer.variables.get('gate.weight')!.shape, [4 + 1 + 2 + 1, 8]);
  assert.ok(layer.variables.has('experts.7.constant') && layer.variables.has('experts.7.wg.weight'));
  // Router row 5 (the first copy expert) = 10·1, all others 0; with positive inputs every
  // token picks index 5 with weight 1, so the layer returns its input.
  const gate = Float32Array.from({ length: 8 * 8 }, (_, i) => (Math.floor(i / 8) === 5 ? 10 : 0));
  const t = tf.tensor2d(gate, [8, 8]);
  layer.variables.get('gate.weight')!.assign(t);
  t.dispose();
  tf.tidy(() => {
    const x = tf.add(tf.abs(input()), 0.1) as Tensor3D;
    const out = layer.apply(x, CTX);
    assert.ok(out.selected.every((j) => j === 5));
    const err = tf.max(tf.abs(tf.sub(out.y, x))).dataSync()[0]!;
    assert.ok(err < 1e-6, `max |y − x| = ${err}`);
  });
  layer.dispose();
});
