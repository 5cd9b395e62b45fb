import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf, type Variable } from '../../src/models/tf.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../src/models/lm/trainer.js';
import { splitBatch } from '../../src/models/lm/micro-batch.js';
import { crossEntropy } from '../../src/models/lm/cross-entropy.js';
import { upcycleLm } from '../../src/models/lm/upcycle-lm.js';
import { denseBaselineOf, type LmConfig } from '../../src/models/lm/config.js';
import { createMoeLayer, moeAlgorithms, routerOptions } from '../../src/models/moe/registry.js';
import { cyclicBatch, tinyBatch } from './lm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const TRAIN: TrainConfig = { lr: 1e-2, warmupSteps: 0, totalSteps: 1000, minLrMultiplier: 0.1, gradClip: 1 };

/** LibMoE's LM MoE variants are the `moe_layer*` modules (MOE_TYPE); the others in the registry are VLM routers. */
const LM_ROUTERS = moeAlgorithms().filter((n) => n.startsWith('moe_layer'));

function moeConfig(algorithm: string, extra: Partial<LmConfig> = {}): LmConfig {
  return {
    vocabSize: 16, dModel: 16, nLayers: 2, nHeads: 2, headDim: 8, seed: 5,
    // λ = 0.01 for the routers that have an LM regulariser (the others refuse the option).
    ffn: { kind: 'moe', algorithm, nExperts: 4, topK: 2, expertSize: 8, options: routerOptions(algorithm).some((o) => o.name === 'perplexity_reg') ? { perplexity_reg: 0.01 } : {} },
    ...extra,
  };
}

test('the registry offers the LM softmax/sigmoid router (moe_layer) and VLM routers (smoe)', () => {
  assert.ok(LM_ROUTERS.includes('moe_layer'), `LM routers: ${LM_ROUTERS.join(', ')}`);
  assert.ok(moeAlgorithms().includes('smoe'));
});

for (const algorithm of moeAlgorithms()) {
  test(`${algorithm}: a tiny MoE LM memorises a short sequence with a flat live-tensor count and per-layer routing stats`, async () => {
    const model = new TransformerLM(moeConfig(algorithm), createMoeLayer);
    const trainer = new LmTrainer(model, { ...TRAIN, microBatches: 2 });
    const batch = cyclicBatch(4, 12, 7);
    const first = await trainer.trainStep(batch);
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 10; i++) last = await trainer.trainStep(batch);
    assert.equal(tf.memory().numTensors, tensors, 'live tensors grew over 10 steps');
    // 30 steps suffice at lr 1e-2 (every router ends ≥ 10× below its first loss); a stuck router stays near log V.
    for (let i = 0; i < 20; i++) last = await trainer.trainStep(batch);
    assert.ok(last.loss < first.loss / 5, `loss ${first.loss} → ${last.loss}`);
    const ev = await trainer.evalStep(batch);
    assert.ok(ev.accuracy > 0.8, `eval accuracy ${ev.accuracy}`);
    assert.equal(tf.memory().numTensors, tensors, 'eval left tensors behind');
    assert.equal(last.routing.length, 2);
    for (const r of last.routing) {
      assert.equal(r.tokens, 48);
      // E routed experts (smoe_share / smoe_sharev3: E − 1, their E counts the always-on shared expert); every one has a load.
      assert.equal(r.nExperts, algorithm.startsWith('smoe_share') ? 3 : 4);
      assert.ok(r.tokenSlots.length >= r.nExperts && r.top1Count.length >= r.nExperts && r.probMass.length >= r.nExperts);
      // The reported K is the one the selections were made with (dynamic / routed K included).
      assert.equal(r.selected.length, r.tokens * r.topK);
      assert.equal(r.gates.length, r.selected.length);
      // Every token-slot lands on some router index: slots per index sum to tokens·K.
      assert.equal([...r.tokenSlots].reduce((a, b) => a + b, 0), r.tokens * r.topK);
      assert.ok(Number.isFinite(r.entropyFullSum) && r.entropyFullSum > 0);
    }
    assert.ok(Number.isFinite(last.auxTotal));
    trainer.dispose();
    model.dispose();
  });
}

test('MoE in every 2nd block: block 0 is dense with the active width K·s, block 1 is MoE', () => {
  const model = new TransformerLM(moeConfig('moe_layer', { ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, every: 2 } }), createMoeLayer);
  assert.equal(model.moeLayers[0], null);
  assert.notEqual(model.moeLayers[1], null);
  assert.deepEqual(model.param('layers.0.ffn.w1').shape, [16, 16]);
  assert.deepEqual(model.param('layers.1.ffn.keys').shape, [4, 16, 8]);
  model.dispose();
});

test('the dense baseline of an MoE config has FFN width K·s in every block', () => {
  const base = denseBaselineOf(moeConfig('moe_layer'));
  assert.deepEqual(base.ffn, { kind: 'dense', hidden: 16 });
});

for (const [selection_mode, every] of [['gate', 1], ['sigmoid', 1], ['gate', 2]] as const) {
  test(`upcycling (${selection_mode}, MoE every ${every}): an MoE LM built from a trained dense LM computes the dense LM's logits`, async () => {
    const denseCfg: LmConfig = { vocabSize: 16, dModel: 16, nLayers: 2, nHeads: 2, headDim: 8, seed: 3, ffn: { kind: 'dense', hidden: 12 } };
    const dense = new TransformerLM(denseCfg);
    const trainer = new LmTrainer(dense, TRAIN);
    for (let i = 0; i < 3; i++) await trainer.trainStep(tinyBatch(2, 6, 16, i));
    const moe = await upcycleLm(dense, { ...denseCfg, ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 12, every, options: { selection_mode } } }, createMoeLayer);
    if (every === 2) assert.deepEqual(await moe.param('layers.0.ffn.w1').data(), await dense.param('layers.0.ffn.w1').data());
    const keys = await moe.param('layers.1.ffn.keys').data();
    assert.deepEqual(keys.slice(0, 16 * 12), await dense.param('layers.1.ffn.w1').data());
    assert.deepEqual(keys.slice(3 * 16 * 12), await dense.param('layers.1.ffn.w1').data());
    const sel = await moe.param('layers.1.ffn.expert_sel').data();
    const std = Math.sqrt((sel as Float32Array).reduce((a, b) => a + b * b, 0) / sel.length);
    assert.ok(std > 0.01 && std < 0.03, `router std ${std}`);
    const ids = tf.tensor1d(splitBatch(tinyBatch(2, 6, 16, 11), 1)[0]!.inputs, 'int32');
    const ctx = { training: false, step: 0, totalSteps: 1 };
    const [a, b] = tf.tidy(() => [dense.forward(ids, 2, 6, ctx).logits, moe.forward(ids, 2, 6, ctx).logits]);
    const da = await a.data(), db = await b.data();
    const maxDiff = Math.max(...da.map((v, i) => Math.abs(v - db[i]!)));
    assert.ok(maxDiff < 1e-5, `max logit difference ${maxDiff}`);
    tf.dispose([a, b, ids]);
    trainer.dispose();
    dense.dispose();
    moe.dispose();
  });
}

test('MoE LM gradients agree with central differences along random directions (moe_layer, every parameter)', async () => {
  const model = new TransformerLM(moeConfig('moe_layer', { ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.5 } } }), createMoeLayer);
  const B = 2, T = 5;
  const [mb] = splitBatch(tinyBatch(B, T, 16, 4), 1);
  const ctx = { training: true, step: 0, totalSteps: 1 };
  const routes: string[] = [];
  const lossFn = () => {
    const fwd = model.forward(tf.tensor1d(mb!.inputs, 'int32'), B, T, ctx);
    routes.push(fwd.moe.map((m) => m.out.selected.join(',')).join('|'));
    let total: tf.Scalar = crossEntropy(fwd.logits, tf.tensor1d(mb!.targets, 'int32'));
    for (const m of fwd.moe) total = tf.add(total, m.out.auxTotal);
    return total;
  };
  const names = [...model.params.keys()];
  const { value, grads } = tf.variableGrads(lossFn, names.map((n) => model.params.get(n)!) as Variable[]);
  value.dispose();
  const evalLoss = async () => {
    const l = tf.tidy(lossFn);
    const v = (await l.data())[0]!;
    l.dispose();
    return v;
  };
  // float32 loss: eps large enough to beat roundoff (~1e-7·loss/eps), small enough that no
  // token changes its experts (checked) and the ReLU/softmax curvature stays below 1%.
  const eps = 3e-4;
  for (const name of names) {
    const v = model.params.get(name)!;
    const g = grads[v.name]!;
    const base = await v.data();
    const dir = new Float32Array(base.length);
    for (let i = 0; i < dir.length; i++) dir[i] = Math.sin(1 + i * 12.9898) >= 0 ? 1 : -1;
    const gu = ((await g.data()) as Float32Array).reduce((acc, x, i) => acc + x * dir[i]!, 0);
    const set = (s: number) => tf.tidy(() => v.assign(tf.tensor(base.map((x, i) => x + s * eps * dir[i]!), v.shape)));
    routes.length = 0;
    set(1);
    const up = await evalLoss();
    set(-1);
    const down = await evalLoss();
    set(0);
    const fd = (up - down) / (2 * eps);
    assert.equal(routes[0], routes[1], `${name}: the perturbation changed the routing; the check needs a smaller eps`);
    assert.ok(Math.abs(fd - gu) <= 0.01 * Math.abs(gu) + 5e-3, `${name}: analytic ${gu} vs central difference ${fd}`);
  }
  tf.dispose(Object.values(grads));
  model.dispose();
});

test('a DeepSeek-style layer reports its routing bias in the step result, after the step\'s update', async (t) => {
  if (!LM_ROUTERS.includes('moe_layer_deepseekv2')) return t.skip('moe_layer_deepseekv2 not registered');
  const model = new TransformerLM(moeConfig('moe_layer_deepseekv2', { ffn: { kind: 'moe', algorithm: 'moe_layer_deepseekv2', nExperts: 8, topK: 3, expertSize: 8, options: { perplexity_reg_mode: 'deepseek', perplexity_reg: 0.01, n_group: 4, topk_group: 2 } } }), createMoeLayer);
  const trainer = new LmTrainer(model, TRAIN);
  const r = await trainer.trainStep(tinyBatch(2, 8, 16));
  const bias = r.routing[0]!.bias;
  assert.ok(bias !== undefined && bias.length === 8);
  assert.ok(bias.some((b) => b !== 0), 'the aux-free update moved the bias');
  assert.deepEqual([...bias], (model.moeLayers[0]!.state() as { e_score_correction_bias: number[] }).e_score_correction_bias);
  trainer.dispose();
  model.dispose();
});

test('an error raised inside a layer during a step propagates and leaks no tensors', async () => {
  let calls = 0;
  const failing = (spec: Parameters<typeof createMoeLayer>[0]) => {
    const layer = createMoeLayer(spec);
    const apply = layer.apply.bind(layer);
    return Object.assign(Object.create(Object.getPrototypeOf(layer)), layer, {
      apply: (x: Parameters<typeof apply>[0], ctx: Parameters<typeof apply>[1]) => {
        if (++calls === 4) throw new Error('router exploded');
        return apply(x, ctx);
      },
    });
  };
  const model = new TransformerLM(moeConfig('moe_layer'), failing);
  const trainer = new LmTrainer(model, TRAIN);
  const batch = tinyBatch(2, 6, 16);
  await trainer.trainStep(batch);
  const live = tf.memory().numTensors;
  await assert.rejects(trainer.trainStep(batch), /router exploded/);
  assert.equal(tf.memory().numTensors, live);
  assert.equal(trainer.step, 1);
  await trainer.trainStep(batch);
  assert.equal(tf.memory().numTensors, live);
  trainer.dispose();
  model.dispose();
});
