/**
 * The vision towers as a specification: what LibMoE's CLIP / SigLIP towers return, what the
 * MoE variant and upcycling guarantee, and how a wrong checkpoint is refused. The numbers
 * against LibMoE itself are the golden cases (test/golden, vlm_model/*_tower.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor4D } from '../../../src/models/tf.js';
import { expertKindFor, moeAlgorithms } from '../../../src/models/moe/registry.js';
import { VisionTower } from '../../../src/models/vlm/tower/vision-tower.js';
import { upcycleTower } from '../../../src/models/vlm/tower/upcycle-tower.js';
import { reportedLoss } from '../../../src/models/vlm/tower/reported-aux.js';
import type { VisionTowerConfig } from '../../../src/models/vlm/tower/tower-config.js';

const CTX = { training: true, step: 0, totalSteps: 1 };

function config(arch: 'clip' | 'siglip', scales: number[] = [1]): VisionTowerConfig {
  return {
    arch, imageSize: 16, patchSize: 4, hidden: 12, intermediate: 20, layers: 3, heads: 3,
    activation: arch === 'clip' ? 'quick_gelu' : 'gelu_pytorch_tanh', layerNormEps: 1e-5, scales,
  };
}

const pixels = (b: number) => tf.randomNormal([b, 3, 16, 16], 0, 1, 'float32', 5) as Tensor4D;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

test('a tower of S=16, p=4 yields P = 16 patch features of width D·len(scales); CLIP drops its class token, SigLIP has none', async () => {
  await selectBackend('cpu');
  for (const arch of ['clip', 'siglip'] as const) {
    for (const scales of [[1], [1, 2]]) {
      const tower = VisionTower.create(config(arch, scales), 1);
      const live = tf.memory().numTensors;
      tf.tidy(() => {
        const fw = tower.forward(pixels(2), CTX);
        assert.deepEqual(fw.features.shape, [2, 16, 12 * scales.length], `${arch} ${scales}`);
        const tokens = arch === 'clip' ? 17 : 16;
        assert.deepEqual(fw.calls[0]!.embeddings.shape, [2 * tokens, 12]);
        assert.equal(fw.calls.length, scales.length, 'one tower call per scale');
        if (scales.length > 1) assert.deepEqual(fw.crops[0]!.shape, [2 * 4, 3, 16, 16], 's×s crops of every image, stacked on the batch axis');
      });
      assert.equal(tf.memory().numTensors, live, 'a forward inside tidy keeps nothing');
      tower.dispose();
    }
  }
});

test("the tower's output is the input of its last layer (LibMoE's hard-wired select layer −2); the last layer still runs", async () => {
  await selectBackend('cpu');
  const tower = VisionTower.create(config('clip'), 2);
  tf.tidy(() => {
    const call = tower.call(pixels(1), CTX);
    assert.equal(call.hiddenStates.length, 4, 'L + 1 hidden states');
    assert.equal(call.towerOutput, call.hiddenStates[2]);
    assert.ok(maxAbsDiff(call.hiddenStates[3]!, call.hiddenStates[2]!) > 0);
    assert.equal(maxAbsDiff(call.features, tf.slice(tf.reshape(call.towerOutput, [1, 17, 12]), [0, 1, 0], [1, 16, 12])), 0, 'features = tower output without the class token');
  });
  const grads = tf.variableGrads(() => tf.sum(tower.forward(pixels(1), CTX).features) as tf.Scalar, [...tower.variables.values()]);
  const lastLayer = [...tower.variables].filter(([k]) => k.includes('encoder.layers.2.'));
  assert.ok(lastLayer.length > 0);
  for (const [k, v] of lastLayer) assert.equal(grads.grads[v.name], undefined, `${k} gets no gradient`);
  tf.dispose([grads.value, ...Object.values(grads.grads)]);
  tower.dispose();
});

test('an upcycled MoE tower (identical experts, weights summing to 1) computes the dense tower, S² included, on cpu and wasm', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await selectBackend(backend);
    for (const arch of ['clip', 'siglip'] as const) {
      const dense = VisionTower.create(config(arch, [1, 2]), 3);
      const moe = upcycleTower(dense, { algorithm: 'smoe', nExperts: 4, topK: 2, options: { std_gate: 1 } }, 4);
      assert.ok(moe.variables.has('vision_model.encoder.layers.0.moelayer.experts.3.fc2.bias'));
      assert.ok(!moe.variables.has('vision_model.encoder.layers.0.mlp.fc1.weight'));
      tf.tidy(() => {
        const px = pixels(2);
        const a = dense.forward(px, CTX);
        const b = moe.forward(px, CTX);
        const scale = tf.max(tf.abs(a.features)).dataSync()[0]!;
        assert.ok(maxAbsDiff(a.features, b.features) <= 1e-5 * scale, `${backend} ${arch}: ${maxAbsDiff(a.features, b.features)}`);
        assert.equal(a.auxTotal, undefined, 'a dense tower has no aux loss');
        assert.ok(Number.isFinite(b.auxTotal!.dataSync()[0]!) && b.auxTotal!.dataSync()[0]! > 0);
      });
      moe.dispose();
      dense.dispose();
    }
  }
});

test('any VLM router of the registry can be the tower MoE, chosen by name', async () => {
  await selectBackend('cpu');
  const vlmRouters = moeAlgorithms().filter((a) => expertKindFor(a) === 'gelu-mlp');
  assert.ok(vlmRouters.includes('smoe') && vlmRouters.length >= 10);
  for (const algorithm of vlmRouters) {
    const tower = VisionTower.create({ ...config('siglip'), moe: { algorithm, nExperts: 4, topK: 2 } }, 6);
    assert.ok([...tower.variables.keys()].some((k) => k.startsWith('vision_model.encoder.layers.2.moelayer.')), algorithm);
    const { value, grads } = tf.variableGrads(() => {
      const fw = tower.forward(pixels(1), CTX);
      assert.deepEqual(fw.features.shape, [1, 16, 12], algorithm);
      assert.equal(fw.calls[0]!.moe.length, 3, `${algorithm}: one MoE output per layer`);
      return tf.add(tf.sum(fw.features), fw.auxTotal!) as tf.Scalar;
    }, [...tower.variables.values()]);
    assert.ok(Number.isFinite(value.dataSync()[0]!), algorithm);
    tf.dispose([value, ...Object.values(grads)]);
    tower.dispose();
  }
});

test('loading refuses a wrong parameter name or shape, and a missing parameter, naming it', async () => {
  await selectBackend('cpu');
  const tower = VisionTower.create(config('clip'), 7);
  const entry = (name: string) => ({ shape: tower.variables.get(name)!.shape, data: new Float32Array(tower.variables.get(name)!.size) });
  assert.throws(() => tower.load({ 'vision_model.embeddings.patch_embedding.bias': { shape: [12], data: new Float32Array(12) } }, { partial: true }),
    /unknown parameter 'vision_model\.embeddings\.patch_embedding\.bias'.*clip tower/);
  assert.throws(() => tower.load({ 'vision_model.encoder.layers.1.mlp.fc1.weight': { shape: [12, 20], data: new Float32Array(240) } }, { partial: true }),
    /parameter 'vision_model\.encoder\.layers\.1\.mlp\.fc1\.weight' has shape \[12, 20\], the tower expects \[20, 12\]/);
  assert.throws(() => tower.load({ 'vision_model.pre_layrnorm.bias': entry('vision_model.pre_layrnorm.bias') }), /missing parameters 'vision_model\.embeddings\.class_embedding'/);
  tower.load({ 'vision_model.pre_layrnorm.bias': { ...entry('vision_model.pre_layrnorm.bias'), data: new Float32Array(12).fill(0.5) } }, { partial: true });
  assert.equal(tower.variables.get('vision_model.pre_layrnorm.bias')!.dataSync()[0], 0.5);
  assert.throws(() => VisionTower.create({ ...config('clip'), patchSize: 5 }), /imageSize 16 is not a multiple of patchSize 5/);
  assert.throws(() => VisionTower.create({ ...config('clip'), scales: [2] }), /scales must start with 1/);
  tower.dispose();
});

test("SigLIP's reported losses: mean over layers (an exact-zero layer after the first is skipped), then over calls", () => {
  assert.equal(reportedLoss([[1, 2, 3]]), 2);
  assert.equal(reportedLoss([[1, 0, 3], [4, 4, 4]]), 3);
  assert.equal(reportedLoss([[0, 2]]), 1, 'a zero first layer counts');
});
