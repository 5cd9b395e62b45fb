import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { VlmTrainer, type VlmTrainConfig } from '../../../src/models/vlm/model/vlm-trainer.js';
import { selectNames } from '../../../src/models/vlm/model/param-patterns.js';
import { splitVlmBatch } from '../../../src/models/vlm/model/split-vlm-batch.js';
import { TINY_VLM, textOnlyBatch, tinyBatch } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const TRAIN: VlmTrainConfig = { lr: 3e-3, warmupSteps: 2, totalSteps: 30, minLrMultiplier: 0.1, gradClip: 1, trainable: ['*'] };

function snapshot(m: VisionLanguageModel): Map<string, Float32Array> {
  return new Map([...m.params].map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
}

test('name patterns: `*` spans dots, a pattern matching nothing is an error', () => {
  const names = ['mm_projector.0.weight', 'mm_projector.moelayer.gate.weight', 'language_model.embedding.weight'];
  assert.deepEqual(selectNames(names, ['mm_projector.*']), names.slice(0, 2));
  assert.deepEqual(selectNames(names, ['*.gate.*', 'language_model.*']), names.slice(1));
  assert.throws(() => selectNames(names, ['mm_projecter.*']), /'mm_projecter\.\*' matches no parameter/);
  const m = VisionLanguageModel.create(TINY_VLM);
  assert.throws(() => new VlmTrainer(m, { ...TRAIN, trainable: [] }), /no trainable parameter/);
  m.dispose();
});

test('a tiny VLM trained 30 steps on a fixed image-text batch lowers its loss (whole model trains, stage 2)', async () => {
  const m = VisionLanguageModel.create(TINY_VLM);
  const trainer = new VlmTrainer(m, TRAIN);
  const batch = tinyBatch({ textRow: true });
  const first = await trainer.trainStep(batch);
  const live = tf.memory().numTensors;
  let last = first;
  for (let i = 1; i < 30; i++) last = await trainer.trainStep(batch);
  assert.equal(tf.memory().numTensors, live, 'no tensor leaks across steps');
  assert.ok(last.loss < first.loss / 2, `loss ${first.loss} → ${last.loss}`);
  assert.equal(last.step, 29);
  assert.equal(last.images, 4);
  assert.equal(last.tokens, 4 * 8 + 6);
  assert.equal(last.targetTokens, 4 * 2 + 5);
  assert.equal(last.loss, last.languageLoss, 'a dense VLM adds no aux loss');
  assert.deepEqual(last.aux, {});
  const ev = await trainer.evalLoss(batch);
  assert.ok(Math.abs(ev.loss - last.loss) < first.loss / 4);
  trainer.dispose();
  m.dispose();
});

test('stage 1 freezing: only mm_projector.* trains; frozen parameters stay bit-identical and have no optimiser state', async () => {
  const m = VisionLanguageModel.create(TINY_VLM);
  const trainer = new VlmTrainer(m, { ...TRAIN, lr: 1e-3, trainable: ['mm_projector.*'] });
  assert.deepEqual([...trainer.optimizer.m.keys()], ['mm_projector.0.weight', 'mm_projector.0.bias', 'mm_projector.2.weight', 'mm_projector.2.bias']);
  const before = snapshot(m);
  for (let i = 0; i < 3; i++) await trainer.trainStep(tinyBatch());
  // A text-only batch reaches no trainable parameter: no gradient, no update, no error.
  const r = await trainer.trainStep(textOnlyBatch());
  assert.equal(r.gradNorm, 0);
  assert.equal(r.images, 0);
  const after = snapshot(m);
  for (const [name, v] of before) {
    const same = v.every((x, i) => Object.is(x, after.get(name)![i]));
    assert.equal(same, !name.startsWith('mm_projector.'), `${name} ${same ? 'unchanged' : 'changed'}`);
  }
  trainer.dispose();
  m.dispose();
});

test('training is deterministic: two runs from the same seeds give the same weights', async () => {
  const run = async () => {
    const m = VisionLanguageModel.create(TINY_VLM);
    const t = new VlmTrainer(m, TRAIN);
    for (let i = 0; i < 3; i++) await t.trainStep(tinyBatch({ textRow: true }));
    const w = snapshot(m);
    t.dispose();
    m.dispose();
    return w;
  };
  const [a, b] = [await run(), await run()];
  for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
});

test('micro-batches: rows and their images split in order; with equal targets per half, one step equals the unsplit step', async () => {
  const batch = tinyBatch({ textRow: true });
  const parts = splitVlmBatch(batch, 2);
  assert.deepEqual(parts.map((p) => p.batchSize), [3, 2]);
  assert.deepEqual(parts.map((p) => Array.from(p.imageRows)), [[0, 1, 2], [0]]);
  assert.deepEqual(parts[1]!.pixels, batch.pixels!.slice(3 * 3 * 64));
  assert.deepEqual(parts[1]!.ids, batch.ids.slice(3 * 6));
  const run = async (microBatches: number) => {
    const m = VisionLanguageModel.create(TINY_VLM);
    const t = new VlmTrainer(m, { ...TRAIN, microBatches });
    const r = await t.trainStep(tinyBatch());
    t.dispose();
    m.dispose();
    return { r };
  };
  const one = await run(1);
  const two = await run(2);
  assert.ok(Math.abs(one.r.loss - two.r.loss) < 1e-6, `${one.r.loss} vs ${two.r.loss}`);
  assert.equal(two.r.images, 4);
  assert.equal(two.r.targetTokens, 8);
  // The summed gradients are the unsplit ones (Adam's first step is ≈ lr·sign(g), so the weights
  // would amplify rounding in gradients that are 0 in exact arithmetic, e.g. the k_proj biases).
  assert.ok(Math.abs(one.r.gradNorm - two.r.gradNorm) < 1e-5 * one.r.gradNorm, `${one.r.gradNorm} vs ${two.r.gradNorm}`);
});
