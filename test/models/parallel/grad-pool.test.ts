/**
 * Data-parallel gradient workers (src/models/parallel): N worker threads, each with its own
 * backend and model replica, compute the step's micro-batches; the trainer sums their
 * gradients in micro-batch order and applies one update. Specification: the same bits as one
 * thread with the same micro-batches.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { TransformerLM } from '../../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../../src/models/lm/trainer.js';
import { createMoeLayer } from '../../../src/models/moe/registry.js';
import { GradPool } from '../../../src/models/parallel/grad-pool.js';
import { splitBatch } from '../../../src/models/lm/micro-batch.js';
import type { LmConfig } from '../../../src/models/lm/config.js';
import type { StepResult } from '../../../src/models/train-types.js';
import { tinyBatch } from '../lm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const MOE: LmConfig = {
  vocabSize: 32, dModel: 16, nLayers: 2, nHeads: 2, headDim: 8, seed: 5,
  ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } },
};
const TRAIN: TrainConfig = { lr: 3e-3, warmupSteps: 2, totalSteps: 20, minLrMultiplier: 0.1, gradClip: 0.5 };
const batches = [1, 2, 3, 4, 5].map((seed) => tinyBatch(8, 6, MOE.vocabSize, seed));

interface Run { results: StepResult[]; weights: Map<string, Float32Array>; moments: Float32Array[] }

/**
 * Trains 5 steps on `batches` with `microBatches` per step and `workers` worker threads
 * (0: the trainer's thread alone); the trainer's thread computes too unless `coordinateOnly`.
 */
async function run(workers: number, microBatches: number, coordinateOnly = false, config: LmConfig = MOE): Promise<Run> {
  const model = new TransformerLM(config, createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, microBatches });
  const pool = workers > 0 ? await GradPool.start(model, { workers }) : undefined;
  try {
    if (pool) trainer.useWorkers(pool, { thisThread: !coordinateOnly });
    const results: StepResult[] = [];
    for (const b of batches) results.push(await trainer.trainStep(b));
    const weights = new Map([...model.params].map(([k, v]) => [k, v.dataSync() as Float32Array]));
    const moments = [...trainer.optimizer.m.values(), ...trainer.optimizer.v.values()].map((v) => v.dataSync() as Float32Array);
    return { results, weights, moments };
  } finally {
    await pool?.close();
    trainer.dispose();
    model.dispose();
  }
}

/** Everything a step reports except timings. */
function numbers(r: StepResult): unknown {
  const { msCompute: _c, msStats: _s, ...rest } = r;
  return rest;
}

function assertSameRun(a: Run, b: Run): void {
  assert.deepEqual(a.results.map(numbers), b.results.map(numbers));
  assert.equal(a.weights.size, b.weights.size);
  for (const [k, w] of a.weights) assert.deepEqual(b.weights.get(k), w, `weights ${k}`);
  assert.deepEqual(a.moments, b.moments);
}

test('2 ranks (this thread + 1 worker) give bit-for-bit the losses, aux losses, routing statistics, weights and moments of one thread with the same 2 micro-batches', async () => {
  const one = await run(0, 2);
  const two = await run(1, 2);
  assertSameRun(two, one);
  assert.ok(one.results[4]!.loss < one.results[0]!.loss, 'it trains');
  assert.equal(one.results[0]!.routing.length, 2);
});

test('4 micro-batches on 2 ranks (two rounds) or on 2 workers with this thread only coordinating equal 4 micro-batches on one thread', async () => {
  const one = await run(0, 4);
  assertSameRun(await run(1, 4), one);
  assertSameRun(await run(2, 4, true), one);
  assertSameRun(await run(1, 4, true), one);
});

test('a fixed worker count is deterministic across reruns', async () => {
  assertSameRun(await run(1, 2), await run(1, 2));
});

test('the trainer\'s live tensor count stays flat over steps with workers', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, microBatches: 2 });
  const pool = await GradPool.start(model, { workers: 1 });
  try {
    trainer.useWorkers(pool);
    assert.equal(trainer.workerCount, 2);
    await trainer.trainStep(batches[0]!);
    const after1 = tf.memory().numTensors;
    for (const b of batches) await trainer.trainStep(b);
    assert.equal(tf.memory().numTensors, after1);
  } finally {
    await pool.close();
    trainer.dispose();
    model.dispose();
  }
});

test('micro-batches per step must be a multiple of the rank count', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, microBatches: 3 });
  const pool = await GradPool.start(model, { workers: 1 });
  try {
    assert.throws(() => trainer.useWorkers(pool), /2 gradient ranks need a multiple of 2 micro-batches per step, not 3/);
  } finally {
    await pool.close();
    trainer.dispose();
    model.dispose();
  }
});

test('a worker\'s error surfaces as an error naming the worker (no hang), and the pool stops every worker', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const pool = await GradPool.start(model, { workers: 2 });
  try {
    assert.equal(pool.running, 2);
    await pool.publishWeights([...model.params.values()]);
    const [good] = splitBatch(tinyBatch(2, 4, MOE.vocabSize), 1);
    const bad = { ...good!, inputs: good!.inputs.map((x, i) => (i === 3 ? 99 : x)) };
    const step = { nMicro: 2, step: 0, totalSteps: 10 };
    await assert.rejects(pool.round([good!, bad], step), /gradient worker 1: micro-batch position 3: token id 99 outside the vocabulary \[0, 32\)/);
    await assert.rejects(pool.round([good!, good!], step), /gradient worker 1/, 'a failed pool refuses further rounds');
    await waitFor(() => pool.running === 0);
  } finally {
    await pool.close();
    model.dispose();
  }
});

test('a worker that dies mid-step fails the step with its exit code instead of hanging', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, microBatches: 2 });
  const pool = await GradPool.start(model, { workers: 1, workerUrl: new URL('./crashing-worker.js', import.meta.url) });
  try {
    trainer.useWorkers(pool);
    await trainer.evalStep(batches[0]!); // builds the model's cached tables (kept across steps)
    const before = tf.memory().numTensors;
    await assert.rejects(trainer.trainStep(batches[0]!), /gradient worker 0 exited unexpectedly \(code 3\)/);
    assert.equal(tf.memory().numTensors, before, 'the step released its tensors');
    assert.equal(trainer.step, 0, 'no update');
    await waitFor(() => pool.running === 0);
  } finally {
    await pool.close();
    trainer.dispose();
    model.dispose();
  }
});

test('close() stops the workers (an early stop leaves no thread behind); closing twice is harmless', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const pool = await GradPool.start(model, { workers: 2 });
  await pool.close();
  assert.equal(pool.running, 0);
  // Each ended itself (code 0), releasing its model and ONNX Runtime's sessions, rather than being terminated (code 1).
  assert.deepEqual(pool.exitCodes, [0, 0]);
  await pool.close();
  await assert.rejects(pool.round([], { nMicro: 2, step: 0, totalSteps: 1 }), /closed/);
  model.dispose();
});

test('a model whose MoE layers change themselves in training is refused, naming the layer', async () => {
  const model = new TransformerLM({ ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_remoe', nExperts: 4, topK: 2, expertSize: 8 } }, createMoeLayer);
  await assert.rejects(GradPool.start(model, { workers: 2 }), /data-parallel workers cannot train this model: block 0's MoE layer \(moe_layer_remoe\) updates its state/);
  model.dispose();
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}
