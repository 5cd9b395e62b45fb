import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { upcycleVlm } from '../../../src/models/vlm/model/upcycle-vlm.js';
import { VlmTrainer } from '../../../src/models/vlm/model/vlm-trainer.js';
import { loadVlmWeights, saveVlmWeights, vlmFromCheckpoint } from '../../../src/models/vlm/model/vlm-checkpoint.js';
import { loadVlmCheckpoint, saveVlmCheckpoint } from '../../../src/models/vlm/model/vlm-training-checkpoint.js';
import type { VlmBatch } from '../../../src/models/vlm/model/vlm-batch.js';
import { TINY_VLM, tinyBatch } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const EVAL = { training: false, step: 0, totalSteps: 1 };
const STAGE3 = { lr: 1e-3, warmupSteps: 0, totalSteps: 10, minLrMultiplier: 0.1, gradClip: 1, trainable: ['*'] };

function logits(m: VisionLanguageModel, batch: VlmBatch): Float32Array {
  return tf.tidy(() => m.forward(batch, EVAL).logits.dataSync() as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

test('sparse upcycling: the MoE VLM computes the dense VLM\'s logits (identical experts), E=4 K=2 by default', () => {
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm: 'smoe' });
  assert.deepEqual(moe.config.tower.moe, { algorithm: 'smoe', nExperts: 4, topK: 2, options: { balance_loss_coef: 0.01, router_z_loss_coef: 0.001 } });
  assert.equal(moe.config.projector.kind, 'moe');
  const names = [...moe.params.keys()];
  assert.ok(names.includes('vision_tower.vision_model.encoder.layers.0.moelayer.experts.3.fc1.weight'));
  assert.ok(names.includes('mm_projector.moelayer.experts.3.2.bias'));
  assert.ok(names.includes('mm_projector.moelayer.gate.weight'));
  assert.ok(!names.some((n) => /\.mlp\.fc/.test(n)), 'the dense MLPs are gone');
  const batch = tinyBatch({ textRow: true });
  const d = maxAbsDiff(logits(dense, batch), logits(moe, batch));
  assert.ok(d < 1e-5, `max |Δlogit| ${d}`);
  dense.dispose();
  moe.dispose();
});

test('upcycled routers: N(0, 0.02) from seed 42, the same in every layer (LibMoE\'s generator); 6/3 by config', () => {
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm: 'smoe', nExperts: 6, topK: 3 });
  const gate = (i: number) => moe.params.get(`vision_tower.vision_model.encoder.layers.${i}.moelayer.gate.weight`)!;
  assert.deepEqual(gate(0).shape, [6, 8]);
  assert.deepEqual(Array.from(gate(0).dataSync()), Array.from(gate(1).dataSync()));
  const w = moe.params.get('mm_projector.moelayer.gate.weight')!.dataSync() as Float32Array;
  const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
  assert.ok(std > 0.01 && std < 0.03, `router std ${std}`);
  assert.equal(moe.config.routerSeed, 42);
  assert.throws(() => upcycleVlm(moe, { algorithm: 'smoe' }), /already has MoE/);
  dense.dispose();
  moe.dispose();
});

test('aux losses under LibMoE\'s logged names for the MoE VLM, none for the dense one; they enter the loss', async () => {
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm: 'smoe' });
  const t = new VlmTrainer(moe, STAGE3);
  const r = await t.trainStep(tinyBatch({ textRow: true }));
  assert.deepEqual(Object.keys(r.aux).sort(), ['auxiliary_loss_clip', 'auxiliary_loss_mlp', 'balance_loss_clip', 'balance_loss_mlp', 'router_z_loss_clip', 'router_z_loss_mlp']);
  // aux_total = 0.01·balance + 0.001·z, for the projector exactly, for the tower per layer then averaged.
  assert.ok(Math.abs(r.aux['auxiliary_loss_mlp']! - (0.01 * r.aux['balance_loss_mlp']! + 0.001 * r.aux['router_z_loss_mlp']!)) < 1e-6);
  assert.ok(Math.abs(r.aux['auxiliary_loss_clip']! - (0.01 * r.aux['balance_loss_clip']! + 0.001 * r.aux['router_z_loss_clip']!)) < 1e-6);
  assert.ok(r.aux['balance_loss_clip']! > 0.5, 'balance ≈ 1 under near-uniform routing');
  assert.ok(Math.abs(r.loss - (r.languageLoss + r.aux['auxiliary_loss_clip']! + r.aux['auxiliary_loss_mlp']!)) < 1e-5);
  // Routing statistics per component: each encoder layer over 4 images × (4 patches + CLS), the projector over 4 × 4 rows.
  assert.deepEqual(r.routing.vision.map((s) => [s.layer, s.tokens, s.selected.length]), [[0, 20, 40], [1, 20, 40]]);
  assert.deepEqual(r.routing.projector.map((s) => [s.layer, s.tokens, s.nExperts, s.topK]), [[0, 16, 4, 2]]);
  assert.equal(r.routing.projector[0]!.tokenSlots.reduce((a, b) => a + b, 0), 32);
  assert.deepEqual(Object.keys(r.routing.projector[0]!.aux).sort(), ['aux_total', 'balance_loss', 'router_z_loss']);
  assert.equal(r.routing.languageModel.length, 0);
  const td = new VlmTrainer(dense, STAGE3);
  const rd = await td.trainStep(tinyBatch({ textRow: true }));
  assert.deepEqual(rd.aux, {});
  assert.deepEqual([rd.routing.vision.length, rd.routing.projector.length], [0, 0]);
  t.dispose();
  td.dispose();
  dense.dispose();
  moe.dispose();
});

test('stage 3 trains the upcycled VLM: the experts separate and the loss falls', async () => {
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm: 'smoe' });
  const t = new VlmTrainer(moe, { ...STAGE3, lr: 3e-3, totalSteps: 20 });
  const batch = tinyBatch({ textRow: true });
  const first = await t.trainStep(batch);
  const live = tf.memory().numTensors;
  let last = first;
  for (let i = 1; i < 20; i++) last = await t.trainStep(batch);
  await t.evalLoss(batch);
  assert.equal(tf.memory().numTensors, live, 'no tensor leaks across MoE steps and evaluation');
  assert.ok(last.languageLoss < first.languageLoss * 0.7, `${first.languageLoss} → ${last.languageLoss}`);
  const e = (j: number) => Array.from(moe.params.get(`mm_projector.moelayer.experts.${j}.0.weight`)!.dataSync());
  assert.notDeepEqual(e(0), e(1));
  t.dispose();
  dense.dispose();
  moe.dispose();
});

test('save → load gives identical logits; a stage starts from the previous stage\'s folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vlm-ckpt-'));
  try {
    const dense = VisionLanguageModel.create(TINY_VLM);
    const t = new VlmTrainer(dense, { ...STAGE3, trainable: ['mm_projector.*'] });
    await t.trainStep(tinyBatch());
    await saveVlmWeights(join(dir, 'stage1'), dense);
    // Stage 2 starts from stage 1: same config, other seeds, weights from the folder.
    const stage2 = VisionLanguageModel.create({ ...TINY_VLM, seed: 99 });
    await loadVlmWeights(join(dir, 'stage1'), stage2);
    const batch = tinyBatch({ textRow: true });
    assert.deepEqual(logits(stage2, batch), logits(dense, batch));
    // Stage 3 from stage 2's folder: upcycled, saved, rebuilt from its own config.
    const moe = upcycleVlm(stage2, { algorithm: 'smoe' });
    await saveVlmWeights(join(dir, 'stage3'), moe);
    const back = await vlmFromCheckpoint(join(dir, 'stage3'));
    assert.deepEqual(back.config, moe.config);
    assert.deepEqual(logits(back, batch), logits(moe, batch));
    // A checkpoint of another shape is refused by name, before anything is assigned.
    await assert.rejects(loadVlmWeights(join(dir, 'stage3'), dense), /no place in the model: vision_tower\.vision_model\.encoder\.layers\.0\.moelayer/);
    for (const m of [dense, stage2, moe, back]) m.dispose();
    t.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exact resume: 2 steps + save + load into a fresh model and trainer + 2 steps ≡ 4 steps, bit for bit (MoE VLM)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vlm-resume-'));
  const batch = tinyBatch({ textRow: true });
  const upcycled = () => {
    const dense = VisionLanguageModel.create(TINY_VLM);
    const m = upcycleVlm(dense, { algorithm: 'smoe' });
    dense.dispose();
    return m;
  };
  try {
    const straight = upcycled();
    const ts = new VlmTrainer(straight, STAGE3);
    for (let i = 0; i < 4; i++) await ts.trainStep(batch);
    const first = upcycled();
    const tf1 = new VlmTrainer(first, STAGE3);
    for (let i = 0; i < 2; i++) await tf1.trainStep(batch);
    await saveVlmCheckpoint(dir, tf1);
    const resumed = VisionLanguageModel.create({ ...first.config, seed: 1234 });
    const tr = new VlmTrainer(resumed, STAGE3);
    await loadVlmCheckpoint(dir, tr);
    assert.equal(tr.step, 2);
    for (let i = 0; i < 2; i++) await tr.trainStep(batch);
    for (const [k, v] of straight.params) assert.deepEqual(resumed.params.get(k)!.dataSync(), v.dataSync(), k);
    // A trainer with another trainable set cannot resume it.
    const other = new VlmTrainer(first, { ...STAGE3, trainable: ['mm_projector.*'] });
    await assert.rejects(loadVlmCheckpoint(dir, other), /same trainable patterns/);
    for (const t of [ts, tf1, tr, other]) t.dispose();
    for (const m of [straight, first, resumed]) m.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an S² MoE tower: routing and aux over both calls (4 images, then their 16 crops)', async () => {
  const dense = VisionLanguageModel.create({ ...TINY_VLM, tower: { ...TINY_VLM.tower, scales: [1, 2] } });
  const moe = upcycleVlm(dense, { algorithm: 'smoe' });
  const t = new VlmTrainer(moe, STAGE3);
  const r = await t.trainStep(tinyBatch());
  assert.deepEqual(r.routing.vision.map((s) => s.tokens), [(4 + 16) * 5, (4 + 16) * 5]);
  assert.ok(Number.isFinite(r.aux['balance_loss_clip']!) && Number.isFinite(r.aux['router_z_loss_clip']!));
  t.dispose();
  moe.dispose();
  dense.dispose();
});

test("textOnlyRows 'zero-image' (LibMoE's collator): the tower also routes a zero image for the text row; the logits do not change", async () => {
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm: 'smoe' });
  const libmoe = VisionLanguageModel.create({ ...moe.config, textOnlyRows: 'zero-image' });
  for (const [k, v] of moe.params) libmoe.params.get(k)!.assign(v);
  const batch = tinyBatch({ textRow: true });
  assert.ok(maxAbsDiff(logits(moe, batch), logits(libmoe, batch)) < 1e-6);
  const t = new VlmTrainer(libmoe, STAGE3);
  const r = await t.trainStep(batch);
  assert.equal(r.images, 4, 'the zero image is not an image of the batch');
  assert.deepEqual(r.routing.vision.map((s) => s.tokens), [5 * 5, 5 * 5]);
  assert.equal(r.routing.projector[0]!.tokens, 5 * 4);
  t.dispose();
  for (const m of [dense, moe, libmoe]) m.dispose();
});
