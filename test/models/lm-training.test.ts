import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../src/models/lm/trainer.js';
import { NonFiniteError } from '../../src/models/lm/non-finite.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { TINY_DENSE, cyclicBatch, tinyBatch } from './lm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const TRAIN: TrainConfig = { lr: 1e-2, warmupSteps: 0, totalSteps: 1000, minLrMultiplier: 0.1, gradClip: 1 };

const SMALL: LmConfig = { ...TINY_DENSE, vocabSize: 16, dModel: 16, headDim: 8, ffn: { kind: 'dense', hidden: 32 } };

test('the live tensor count stays constant over 20 training steps (dense LM, 2 micro-batches)', async () => {
  const model = new TransformerLM(SMALL);
  const trainer = new LmTrainer(model, { ...TRAIN, microBatches: 2 });
  const batch = tinyBatch(4, 8, SMALL.vocabSize);
  await trainer.trainStep(batch);
  const after1 = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) await trainer.trainStep(batch);
  assert.equal(tf.memory().numTensors, after1);
  await trainer.evalStep(batch);
  assert.equal(tf.memory().numTensors, after1);
  trainer.dispose();
  model.dispose();
});

test('a tiny dense LM memorises a short repeating sequence (loss falls below a fifth of its start, accuracy > 0.9)', async () => {
  const model = new TransformerLM(SMALL);
  const trainer = new LmTrainer(model, TRAIN);
  const batch = cyclicBatch(4, 12, 7);
  const first = await trainer.trainStep(batch);
  let last = first;
  for (let i = 0; i < 60; i++) last = await trainer.trainStep(batch);
  const ev = await trainer.evalStep(batch);
  assert.ok(last.loss < first.loss / 5, `loss ${first.loss} → ${last.loss}`);
  assert.ok(ev.accuracy > 0.9, `accuracy ${ev.accuracy}`);
  assert.ok(Math.abs(ev.perplexity - Math.exp(ev.loss)) < 1e-9);
  assert.equal(last.step, 60);
  assert.equal(last.routing.length, 0);
  assert.equal(last.tokens, 48);
  // 3 × per token [head 2·D·V + per block (2·(D·3Hhd + Hhd·D) + 4·T·H·hd + 4·D·w)] × tokens, D 16, V 16, H 2, hd 8, w 32, T 12.
  assert.equal(last.flops, 3 * 48 * (2 * 16 * 16 + 2 * (2 * (16 * 48 + 16 * 16) + 4 * 12 * 2 * 8 + 4 * 16 * 32)));
  trainer.dispose();
  model.dispose();
});

test('two micro-batches give the same update as one full batch (gradient accumulation)', async () => {
  const batch = tinyBatch(4, 6, SMALL.vocabSize, 9);
  const results: Float32Array[] = [];
  const losses: number[] = [];
  for (const microBatches of [1, 2]) {
    const model = new TransformerLM(SMALL);
    const trainer = new LmTrainer(model, { ...TRAIN, gradClip: null, microBatches });
    const r = await trainer.trainStep(batch);
    losses.push(r.loss);
    results.push((await model.param('layers.0.attn.qkv').data()) as Float32Array);
    trainer.dispose();
    model.dispose();
  }
  assert.ok(Math.abs(losses[0]! - losses[1]!) < 1e-5, `loss ${losses[0]} vs ${losses[1]}`);
  const maxDiff = Math.max(...results[0]!.map((v, i) => Math.abs(v - results[1]![i]!)));
  assert.ok(maxDiff < 1e-5, `max weight difference ${maxDiff}`);
});

test('gradient clipping bounds the update: the reported norm is pre-clip, the step uses norm ≤ gradClip', async () => {
  const batch = tinyBatch(2, 6, SMALL.vocabSize, 5);
  const deltas: number[] = [];
  for (const gradClip of [null, 1e-3]) {
    const model = new TransformerLM(SMALL);
    // weight decay off and one step: Adam's first step is lr·sign-like, so compare moments instead of weights.
    const trainer = new LmTrainer(model, { ...TRAIN, gradClip, adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } });
    const r = await trainer.trainStep(batch);
    assert.ok(r.gradNorm > 1e-3);
    let sq = 0;
    for (const m of trainer.optimizer.m.values()) for (const v of await m.data()) sq += (v / 0.1) ** 2;
    deltas.push(Math.sqrt(sq));
    if (gradClip === null) assert.ok(Math.abs(Math.sqrt(sq) - r.gradNorm) < 1e-3 * r.gradNorm);
    trainer.dispose();
    model.dispose();
  }
  assert.ok(Math.abs(deltas[1]! - 1e-3) < 1e-6, `clipped gradient norm ${deltas[1]}`);
});

test('a NaN weight stops the step with an error naming the step and the first block it reached; weights stay untouched', async () => {
  const model = new TransformerLM(SMALL);
  const trainer = new LmTrainer(model, TRAIN);
  const batch = tinyBatch(2, 6, SMALL.vocabSize);
  await trainer.trainStep(batch);
  const w = model.param('layers.1.attn.qkv');
  tf.tidy(() => w.assign(tf.fill(w.shape, NaN)));
  const before = await model.param('lm_head.weight').data();
  const liveBefore = tf.memory().numTensors;
  await assert.rejects(trainer.trainStep(batch), (e: unknown) => {
    assert.ok(e instanceof NonFiniteError);
    assert.equal(e.step, 1);
    assert.equal(e.where[0], 'activation:block 1 attention');
    assert.ok(e.where.includes('grad:layers.1.attn.qkv'));
    assert.match(e.message, /step 1/);
    return true;
  });
  assert.deepEqual(await model.param('lm_head.weight').data(), before);
  assert.equal(trainer.step, 1);
  assert.equal(tf.memory().numTensors, liveBefore, 'the failed step released its tensors');
  trainer.dispose();
  model.dispose();
});

test('the same seed gives the same initial weights; another seed does not', async () => {
  const a = new TransformerLM(SMALL);
  const b = new TransformerLM(SMALL);
  const c = new TransformerLM({ ...SMALL, seed: SMALL.seed + 1 });
  assert.deepEqual(await a.param('layers.0.ffn.w1').data(), await b.param('layers.0.ffn.w1').data());
  assert.notDeepEqual(await a.param('layers.0.ffn.w1').data(), await c.param('layers.0.ffn.w1').data());
  [a, b, c].forEach((m) => m.dispose());
});

test('a token id outside the vocabulary is rejected naming its row and position', async () => {
  const model = new TransformerLM(SMALL);
  const trainer = new LmTrainer(model, TRAIN);
  const batch = tinyBatch(2, 6, SMALL.vocabSize);
  const tokens = Int32Array.from(batch.tokens);
  tokens[7 + 3] = SMALL.vocabSize;
  await assert.rejects(trainer.trainStep({ ...batch, tokens }), /row 1, position 3: token id 16 outside the vocabulary \[0, 16\)/);
  await assert.rejects(trainer.evalStep({ ...batch, tokens }), /row 1, position 3/);
  trainer.dispose();
  model.dispose();
});
