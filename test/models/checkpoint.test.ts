import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/models/backend.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../src/models/lm/trainer.js';
import { loadLmCheckpoint, saveLmCheckpoint } from '../../src/models/checkpoint/lm-checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/models/checkpoint/safetensors.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { createMoeLayer, moeAlgorithms } from '../../src/models/moe/registry.js';
import { TINY_DENSE, tinyBatch } from './lm-fixtures.js';

const CFG: LmConfig = { ...TINY_DENSE, vocabSize: 16, dModel: 16, headDim: 8, ffn: { kind: 'dense', hidden: 32 } };
const TRAIN: TrainConfig = { lr: 1e-2, warmupSteps: 2, totalSteps: 5, minLrMultiplier: 0.1, gradClip: 0.5, microBatches: 2 };

test('safetensors: 8-byte LE header length, JSON header with dtype/shape/data_offsets, raw LE data; round-trips F32 and I32', () => {
  const tensors = new Map([
    ['a', { dtype: 'F32' as const, shape: [2, 2], data: new Float32Array([1.5, -2, 3.25, Number.MIN_VALUE]) }],
    ['b', { dtype: 'I32' as const, shape: [3], data: new Int32Array([7, -1, 2 ** 31 - 1]) }],
  ]);
  const bytes = encodeSafetensors(tensors, { format: 'x' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
  assert.deepEqual(header.a, { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
  assert.deepEqual(header.b, { dtype: 'I32', shape: [3], data_offsets: [16, 28] });
  assert.deepEqual(header.__metadata__, { format: 'x' });
  assert.equal(new DataView(bytes.buffer).getFloat32(8 + n, true), 1.5);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.tensors.get('a'), tensors.get('a'));
  assert.deepEqual(back.tensors.get('b'), tensors.get('b'));
  assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), /out of range/);
});

const MOE: LmConfig = { ...CFG, ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } } };

/** Stateful routers: their JSON state (DeepSeek bias, ReMoE λ) must travel with the checkpoint for an exact resume. */
const DEEPSEEK: LmConfig = { ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_deepseekv2', nExperts: 8, topK: 3, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'deepseek', perplexity_reg: 0.01, n_group: 4, topk_group: 2 } } };
const REMOE: LmConfig = { ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_remoe', nExperts: 4, topK: 2, expertSize: 8 } };

const CASES: [string, LmConfig, string][] = [['cpu', CFG, 'dense'], ['wasm', CFG, 'dense'], ['wasm', MOE, 'MoE (moe_layer)']];
if (moeAlgorithms().includes('moe_layer_deepseekv2')) CASES.push(['wasm', DEEPSEEK, 'MoE with routing bias (moe_layer_deepseekv2, deepseek mode)']);
if (moeAlgorithms().includes('moe_layer_remoe')) CASES.push(['wasm', REMOE, 'MoE with adaptive λ (moe_layer_remoe)']);
/** VLM routers in the LM: GELU experts with biases; Hyper-R's K depends on the restored step. */
const SMOE: LmConfig = { ...MOE, ffn: { kind: 'moe', algorithm: 'smoe', nExperts: 4, topK: 2, expertSize: 8 } };
const HYPER: LmConfig = { ...MOE, ffn: { kind: 'moe', algorithm: 'hyperrouter', nExperts: 4, topK: 2, expertSize: 8, options: { topk_min: 1, topk_max: 4 } } };
if (moeAlgorithms().includes('smoe')) CASES.push(['wasm', SMOE, 'VLM router (smoe, gelu-mlp experts)']);
if (moeAlgorithms().includes('hyperrouter')) CASES.push(['wasm', HYPER, 'VLM router with step-dependent K (hyperrouter)']);

for (const [backend, cfg, label] of CASES) {
  test(`${backend}, ${label}: 3 steps, save, load into a fresh model, 2 more steps equals 5 uninterrupted steps bit for bit`, async () => {
    await selectBackend(backend as 'cpu' | 'wasm');
    const batches = [1, 2, 3, 4, 5].map((s) => tinyBatch(4, 6, CFG.vocabSize, s));
    const dir = await mkdtemp(join(tmpdir(), 'moeflow-ckpt-'));
    try {
      const straight = new LmTrainer(new TransformerLM(cfg, createMoeLayer), TRAIN);
      const straightLoss: number[] = [];
      for (const b of batches) straightLoss.push((await straight.trainStep(b)).loss);

      const first = new LmTrainer(new TransformerLM(cfg, createMoeLayer), TRAIN);
      for (const b of batches.slice(0, 3)) await first.trainStep(b);
      await saveLmCheckpoint(dir, first, { note: 'stream state would go here' });
      first.model.dispose();
      first.dispose();

      const resumed = new LmTrainer(new TransformerLM({ ...cfg, seed: 999 }, createMoeLayer), TRAIN);
      assert.deepEqual(await loadLmCheckpoint(dir, resumed), { note: 'stream state would go here' });
      assert.equal(resumed.step, 3);
      const resumedLoss: number[] = [];
      for (const b of batches.slice(3)) resumedLoss.push((await resumed.trainStep(b)).loss);

      assert.deepEqual(resumedLoss, straightLoss.slice(3));
      assert.deepEqual(resumed.state(), straight.state());
      for (const [name, v] of straight.model.params) assert.deepEqual(await resumed.model.param(name).data(), await v.data(), name);
      for (const [name, m] of straight.optimizer.v) assert.deepEqual(await resumed.optimizer.v.get(name)!.data(), await m.data(), `v.${name}`);
      for (const t of [straight, resumed]) {
        t.model.dispose();
        t.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('loading a checkpoint into a model of another shape fails naming the tensor and both shapes', async () => {
  await selectBackend('wasm');
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-ckpt-'));
  try {
    const a = new LmTrainer(new TransformerLM(CFG), TRAIN);
    await saveLmCheckpoint(dir, a);
    const b = new LmTrainer(new TransformerLM({ ...CFG, ffn: { kind: 'dense', hidden: 24 } }), TRAIN);
    await assert.rejects(loadLmCheckpoint(dir, b), /"layers\.0\.ffn\.w1" has shape \[16,32\], the model expects \[16,24\]/);
    for (const t of [a, b]) {
      t.model.dispose();
      t.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
