/**
 * trainer.recompute: each block keeps only its input and is run again in the backward. It must
 * train exactly as without it (same losses, same weights up to float32 summation order), keep
 * the live tensor count flat, hold far fewer bytes at the backward's start, and refuse routers
 * whose training forward changes their state.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../src/models/lm/trainer.js';
import { crossEntropy } from '../../src/models/lm/cross-entropy.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { tinyBatch } from './lm-fixtures.js';

const TRAIN: TrainConfig = { lr: 1e-2, warmupSteps: 0, totalSteps: 1000, minLrMultiplier: 0.1, gradClip: 1 };
const MOE: LmConfig = {
  vocabSize: 32, dModel: 16, nLayers: 2, nHeads: 2, headDim: 8, seed: 5,
  ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } },
};

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] with recompute an MoE LM trains as without it: same losses and aux, weights within float32 rounding after 5 steps`, async () => {
    await selectBackend(backend);
    const batch = tinyBatch(4, 12, MOE.vocabSize, 3);
    const runs = [];
    for (const recompute of [false, true]) {
      const model = new TransformerLM(MOE, createMoeLayer);
      const trainer = new LmTrainer(model, { ...TRAIN, recompute });
      const losses: number[] = [];
      const aux: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await trainer.trainStep(batch);
        losses.push(r.loss);
        aux.push(r.auxTotal);
      }
      const weights = new Map([...model.params].map(([n, v]) => [n, v.dataSync().slice()]));
      runs.push({ losses, aux, weights, live: tf.memory().numTensors });
      trainer.dispose();
      model.dispose();
    }
    const [plain, re] = runs;
    for (let i = 0; i < 5; i++) {
      assert.ok(Math.abs(plain!.losses[i]! - re!.losses[i]!) <= 1e-5 * Math.abs(plain!.losses[i]!), `step ${i}: loss ${plain!.losses[i]} vs ${re!.losses[i]}`);
      assert.ok(Math.abs(plain!.aux[i]! - re!.aux[i]!) <= 1e-5 * Math.abs(plain!.aux[i]!) + 1e-9, `step ${i}: aux ${plain!.aux[i]} vs ${re!.aux[i]}`);
    }
    for (const [name, w] of plain!.weights) {
      const v = re!.weights.get(name)!;
      let err = 0;
      let mag = 0;
      for (let j = 0; j < w.length; j++) { err = Math.max(err, Math.abs(w[j]! - v[j]!)); mag = Math.max(mag, Math.abs(w[j]!)); }
      assert.ok(err <= 1e-5 * mag + 1e-7, `${name}: max |Δ| ${err} (max |w| ${mag})`);
    }
  });
}

test('with recompute the live tensor count stays flat over training steps', async () => {
  await selectBackend('wasm');
  const model = new TransformerLM(MOE, createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, recompute: true, microBatches: 2 });
  const batch = tinyBatch(4, 12, MOE.vocabSize, 4);
  await trainer.trainStep(batch);
  const after1 = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await trainer.trainStep(batch);
  assert.equal(tf.memory().numTensors, after1);
  trainer.dispose();
  model.dispose();
});

test('with recompute the forward keeps a fraction of the bytes it keeps without (what the backward holds)', async () => {
  await selectBackend('wasm');
  const cfg: LmConfig = { ...MOE, dModel: 64, headDim: 16, nLayers: 4, ffn: { ...MOE.ffn, expertSize: 64 } as LmConfig['ffn'] };
  const kept: number[] = [];
  for (const recompute of [false, true]) {
    const model = new TransformerLM(cfg, createMoeLayer);
    model.setRecompute(recompute);
    const ids = tf.tensor1d(Int32Array.from({ length: 2 * 64 }, (_, i) => (i * 7) % 32), 'int32');
    const targets = tf.tensor1d(Int32Array.from({ length: 2 * 64 }, (_, i) => (i * 7 + 1) % 32), 'int32');
    const before = tf.memory().numBytes;
    let atBackward = 0;
    const { value, grads } = tf.variableGrads(() => {
      const fwd = model.forward(ids, 2, 64, { training: true, step: 0, totalSteps: 10 });
      let total = crossEntropy(fwd.logits, targets);
      for (const m of fwd.moe) total = tf.add(total, m.out.auxTotal);
      atBackward = tf.memory().numBytes;
      return total as tf.Scalar;
    }, [...model.params.values()]);
    kept.push(atBackward - before);
    tf.dispose([value, ...Object.values(grads), ids, targets]);
    model.dispose();
  }
  assert.ok(kept[1]! < kept[0]! / 3, `forward keeps ${kept[0]} bytes without recompute, ${kept[1]} with`);
});

test('recompute is refused for a router whose training forward changes its state (DeepSeek aux-free bias)', async () => {
  await selectBackend('wasm');
  const model = new TransformerLM({ ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_deepseekv2', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'deepseek', perplexity_reg: 0.01, n_group: 2, topk_group: 1 } } }, createMoeLayer);
  assert.throws(() => model.setRecompute(true), /trainer\.recompute: the moe_layer_deepseekv2 router of block 0, 1 changes its state during a training forward/);
  model.dispose();
});
