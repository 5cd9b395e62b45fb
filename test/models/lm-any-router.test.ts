import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';
import { TransformerLM, type MoeFactory } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../src/models/lm/trainer.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { createMoeLayer, expertKindFor, expertSpecFor, moeAlgorithms } from '../../src/models/moe/registry.js';
import type { MoeLayerSpec } from '../../src/models/moe/types.js';
import { cyclicBatch, tinyBatch } from './lm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const TRAIN: TrainConfig = { lr: 1e-2, warmupSteps: 0, totalSteps: 1000, minLrMultiplier: 0.1, gradClip: 1 };

function lm(algorithm: string, extra: Partial<Extract<LmConfig['ffn'], { kind: 'moe' }>> = {}, nLayers = 2): LmConfig {
  return {
    vocabSize: 16, dModel: 16, nLayers, nHeads: 2, headDim: 8, seed: 5,
    ffn: { kind: 'moe', algorithm, nExperts: 4, topK: 2, expertSize: 8, ...extra },
  };
}

function layerSpec(algorithm: string, kind: 'gelu-mlp' | 'relu-kv'): MoeLayerSpec {
  return { algorithm, dModel: 8, nExperts: 4, topK: 2, expert: expertSpecFor(algorithm, 4, kind), seed: 1, name: `probe.${algorithm}.${kind}.` };
}

test('the automatic expert kind is the one each router declares: its LibMoE stack\'s (LM modules relu-kv, VLM routers gelu-mlp)', () => {
  for (const algorithm of moeAlgorithms()) {
    assert.equal(expertKindFor(algorithm), algorithm.startsWith('moe_layer') ? 'relu-kv' : 'gelu-mlp', algorithm);
    assert.equal(expertKindFor(algorithm, 'relu-kv'), 'relu-kv');
    assert.equal(expertKindFor(algorithm, 'gelu-mlp'), 'gelu-mlp');
  }
  assert.throws(() => expertKindFor('moe_layer_nope'), /unknown MoE algorithm 'moe_layer_nope'/);
});

test('every registry router composes with either expert kind: the bank comes from the expert registry, not the router', () => {
  const x = tf.randomNormal([1, 3, 8], 0, 1, 'float32', 2) as tf.Tensor3D;
  for (const algorithm of moeAlgorithms()) {
    for (const kind of ['gelu-mlp', 'relu-kv'] as const) {
      const layer = createMoeLayer(layerSpec(algorithm, kind));
      const names = [...layer.variables.keys()];
      const prefix = `probe.${algorithm}.${kind}.`;
      if (kind === 'gelu-mlp') assert.ok(names.includes(`${prefix}experts.0.0.weight`) && !names.includes(`${prefix}keys`), `${algorithm} ${kind}: ${names.join(' ')}`);
      else assert.ok(names.includes(`${prefix}keys`) && !names.includes(`${prefix}experts.0.0.weight`), `${algorithm} ${kind}: ${names.join(' ')}`);
      const y = tf.tidy(() => layer.apply(x, { training: true, step: 1, totalSteps: 10 }).y.dataSync());
      assert.ok(y.every(Number.isFinite), `${algorithm} ${kind}: finite output`);
      layer.dispose();
    }
  }
  x.dispose();
});

test('a VLM router in the LM gets exact-GELU experts of hidden width expertSize, an LM router ReLU key/value experts', () => {
  const vlm = new TransformerLM(lm('smoe'), createMoeLayer);
  assert.deepEqual(vlm.param('layers.0.ffn.experts.0.0.weight').shape, [8, 16]);
  assert.deepEqual(vlm.param('layers.0.ffn.experts.3.2.bias').shape, [16]);
  assert.equal(vlm.moeLayers[0]!.spec.expert.kind, 'gelu-mlp');
  vlm.dispose();
  const lmRouter = new TransformerLM(lm('moe_layer'), createMoeLayer);
  assert.deepEqual(lmRouter.param('layers.0.ffn.keys').shape, [4, 16, 8]);
  lmRouter.dispose();
});

test('an explicit expert kind overrides the router\'s default; an unknown one fails with the choices', () => {
  const model = new TransformerLM(lm('moe_layer', { expert: 'gelu-mlp' }), createMoeLayer);
  assert.deepEqual(model.param('layers.0.ffn.experts.3.0.weight').shape, [8, 16]);
  assert.deepEqual(model.param('layers.0.ffn.expert_sel').shape, [4, 16]);
  model.dispose();
  const shared = new TransformerLM(lm('moe_layer_deepseekv2', { expert: 'gelu-mlp' }), createMoeLayer);
  assert.deepEqual(shared.param('layers.0.ffn.shared_experts.0.0.weight').shape, [16, 16], 'DeepSeek\'s shared expert (width 2s) is of the layer\'s kind');
  shared.dispose();
  assert.throws(() => new TransformerLM(lm('smoe', { expert: 'bogus' as never }), createMoeLayer), /LmConfig.ffn.expert must be one of auto, gelu-mlp, relu-kv/);
});

test('VLM routers in the LM apply balance and z losses with LibMoE\'s default coefficients 0.01 / 0.001 unless options say otherwise', async () => {
  const batch = tinyBatch(2, 6, 16, 3);
  for (const [options, cb, cz] of [[{}, 0.01, 0.001], [{ balance_loss_coef: 0.5, router_z_loss_coef: 0 }, 0.5, 0]] as const) {
    const model = new TransformerLM(lm('smoe', { options }), createMoeLayer);
    const trainer = new LmTrainer(model, TRAIN);
    const r = await trainer.trainStep(batch);
    let expected = 0;
    for (const l of r.routing) {
      const bal = l.aux['balance_loss']!, z = l.aux['router_z_loss']!;
      assert.ok(bal > 0 && z > 0, `layer ${l.layer}: balance ${bal}, z ${z}`);
      assert.ok(Math.abs(l.aux['aux_total']! - (cb * bal + cz * z)) < 1e-6, `layer ${l.layer} aux_total ${l.aux['aux_total']}`);
      expected += cb * bal + cz * z;
    }
    // The objective's aux term is the sum over MoE layers.
    assert.ok(Math.abs(r.auxTotal - expected) < 1e-6, `auxTotal ${r.auxTotal} vs Σ layers ${expected}`);
    trainer.dispose();
    model.dispose();
  }
});

test('Hyper-R in the LM sees the trainer\'s step and total steps: its training K grows from topk_min to topk_max', async () => {
  const model = new TransformerLM(lm('hyperrouter', { options: { topk_min: 1, topk_max: 3 } }), createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, totalSteps: 4 });
  const batch = tinyBatch(2, 6, 16, 5);
  const ks: number[] = [];
  for (let s = 0; s < 4; s++) {
    const r = await trainer.trainStep(batch);
    const l = r.routing[0]!;
    ks.push(l.topK);
    assert.equal(l.selected.length, l.tokens * l.topK);
    assert.equal([...l.tokenSlots].reduce((a, b) => a + b, 0), l.tokens * l.topK);
  }
  // K_t = round((max − min)·t / T) + min with Python's round (half to even): 1, 1 (round 0.5 = 0), 2, 3 (round 1.5 = 2).
  assert.deepEqual(ks, [1, 1, 2, 3]);
  trainer.dispose();
  model.dispose();
});

/** A different router per MoE block, each with the expert kind its stack uses. */
const MIX = ['smoe', 'moe_layer', 'hyperrouter', 'moe_layer_deepseekv2'];
const mixFactory: MoeFactory = (spec) => {
  const block = Number(/layers\.(\d+)\./.exec(spec.name ?? '')![1]);
  const algorithm = MIX[block]!;
  const size = spec.expert.kind === 'gelu-mlp' ? spec.expert.hidden : spec.expert.size;
  return createMoeLayer({ ...spec, algorithm, expert: expertSpecFor(algorithm, size), options: {} });
};

test('one LM hosts a mix of routers (VLM and LM families, one per block): it trains, memorises, and reports each block\'s routing and losses', async () => {
  const model = new TransformerLM(lm('moe_layer', {}, MIX.length), mixFactory);
  assert.deepEqual(model.moeLayers.map((l) => l!.spec.algorithm), MIX);
  assert.deepEqual(model.moeLayers.map((l) => l!.spec.expert.kind), ['gelu-mlp', 'relu-kv', 'gelu-mlp', 'relu-kv']);
  const trainer = new LmTrainer(model, TRAIN);
  const batch = cyclicBatch(4, 12, 7);
  const first = await trainer.trainStep(batch);
  const tensors = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 40; i++) last = await trainer.trainStep(batch);
  assert.equal(tf.memory().numTensors, tensors, 'live tensors grew');
  assert.ok(last.loss < first.loss / 4, `loss ${first.loss} → ${last.loss}`);
  assert.deepEqual(last.routing.map((r) => r.layer), [0, 1, 2, 3]);
  assert.ok('router_z_loss' in last.routing[0]!.aux, 'smoe block reports its z-loss');
  assert.ok(!('router_z_loss' in last.routing[1]!.aux), 'moe_layer block has no z-loss');
  for (const r of last.routing) assert.equal([...r.tokenSlots].reduce((a, b) => a + b, 0), r.tokens * r.topK, `block ${r.layer}`);
  const perLayer = last.routing.reduce((a, r) => a + r.aux['aux_total']!, 0);
  assert.ok(Math.abs(last.auxTotal - perLayer) < 1e-6, `auxTotal ${last.auxTotal} vs Σ layers ${perLayer}`);
  // Per-layer state survives a round trip (DeepSeek bias in block 3; the others stateless).
  const state = trainer.state();
  trainer.dispose();
  model.dispose();
  const copy = new TransformerLM(lm('moe_layer', {}, MIX.length), mixFactory);
  const t2 = new LmTrainer(copy, TRAIN);
  t2.setState(state);
  assert.deepEqual(copy.moeLayers[3]!.state(), (state as { moeLayers: { state: unknown }[] }).moeLayers[3]!.state);
  t2.dispose();
  copy.dispose();
});
