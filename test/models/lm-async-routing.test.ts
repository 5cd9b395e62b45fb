/**
 * An MoE LM's training and evaluation steps on the routing path of backends without
 * synchronous read-back (webgpu; moe/routing-reads.ts), forced on wasm: with dataSync,
 * arraySync and bufferSync made to throw, two training steps (two micro-batches each) and an
 * eval step run, and give the synchronous path's losses, statistics, weights and router state
 * bit for bit; so do continuation scoring and route probing (evaluation). Covers a stateful router (DeepSeek's bias), a step-dependent K (Hyper-R), a router
 * with two score reads per call (ReMoE), and recomputed blocks (the backward replays the forward's routing).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer, type TrainConfig } from '../../src/models/lm/trainer.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';
import { forceAsyncRouting } from '../../src/models/moe/routing-reads.js';
import { TINY_DENSE, tinyBatch } from './lm-fixtures.js';
import { withoutSyncReads } from '../support/no-sync-reads.js';
import { LmContinuationScorer } from '../../src/models/lm/score-continuations.js';
import { probeRoutes } from '../../src/models/lm/probe-routes.js';

const TRAIN: TrainConfig = { lr: 1e-2, warmupSteps: 0, totalSteps: 10, minLrMultiplier: 0.1, gradClip: 1, microBatches: 2 };
const MOE: LmConfig = { ...TINY_DENSE, ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } } };
const CASES: [string, LmConfig, boolean][] = [
  ['dense (nothing to route)', TINY_DENSE, false],
  ['moe_layer', MOE, false],
  ['moe_layer, recomputed blocks', MOE, true],
  ['moe_layer_deepseekv2 (bias state)', { ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_deepseekv2', nExperts: 8, topK: 3, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'deepseek', perplexity_reg: 0.01, n_group: 4, topk_group: 2 } } }, false],
  ['moe_layer_remoe (λ state, two reads per call)', { ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_remoe', nExperts: 4, topK: 2, expertSize: 8 } }, false],
  ['hyperrouter (step-dependent K)', { ...MOE, ffn: { kind: 'moe', algorithm: 'hyperrouter', nExperts: 4, topK: 2, expertSize: 8, options: { topk_min: 1, topk_max: 4 } } }, false],
];

interface Run {
  readonly numbers: unknown[];
  readonly weights: Map<string, Float32Array>;
  readonly state: string;
  /** Tensors alive after the run beyond those before it (the probes must leave none). */
  readonly leaked: number;
}

async function run(cfg: LmConfig, recompute: boolean): Promise<Run> {
  const live = tf.memory().numTensors;
  const model = new TransformerLM(cfg, createMoeLayer);
  const trainer = new LmTrainer(model, { ...TRAIN, recompute });
  try {
    const numbers: unknown[] = [];
    for (const seed of [1, 2]) {
      const { msCompute: _c, msStats: _s, ...r } = await trainer.trainStep(tinyBatch(4, 6, cfg.vocabSize, seed));
      numbers.push(r);
    }
    numbers.push(await trainer.evalStep(tinyBatch(2, 6, cfg.vocabSize, 3)));
    const weights = new Map<string, Float32Array>();
    for (const [name, v] of model.params) weights.set(name, Float32Array.from(await v.data() as Float32Array));
    const state = JSON.stringify(trainer.state());
    trainer.dispose();
    model.dispose();
    return { numbers, weights, state, leaked: tf.memory().numTensors - live };
  } catch (e) {
    trainer.dispose();
    model.dispose();
    throw e;
  }
}

before(async () => {
  await selectBackend('wasm');
});
after(() => forceAsyncRouting(false));

for (const [label, cfg, recompute] of CASES) {
  test(`${label}: train and eval steps read nothing synchronously and equal the synchronous path bit for bit`, async () => {
    const host = await run(cfg, recompute);
    forceAsyncRouting(true);
    let device: Run;
    try {
      device = await withoutSyncReads(() => run(cfg, recompute));
    } finally {
      forceAsyncRouting(false);
    }
    assert.deepEqual(device.numbers, host.numbers);
    assert.equal(device.state, host.state);
    for (const [name, w] of host.weights) assert.deepEqual(device.weights.get(name), w, `weight ${name}`);
    assert.equal(device.leaked, 0, 'tensors left by the async run');
    assert.equal(host.leaked, 0, 'tensors left by the sync run');
  });
}

test('the synchronous path of the same step is caught by the no-sync-read guard (the checks above can fail)', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const trainer = new LmTrainer(model, TRAIN);
  try {
    await assert.rejects(withoutSyncReads(() => trainer.trainStep(tinyBatch(4, 6, MOE.vocabSize, 1))), { name: 'ForbiddenSyncRead' });
  } finally {
    trainer.dispose();
    model.dispose();
  }
});

test('continuation scoring and route probing (evaluation) read nothing synchronously and equal the synchronous path', async () => {
  const model = new TransformerLM(MOE, createMoeLayer);
  const ids = (n: number, seed: number) => tinyBatch(1, n - 1, MOE.vocabSize, seed).tokens;
  const reqs = [1, 2, 3].map((s) => ({ context: ids(4 + s, s), continuation: ids(3, 10 + s) }));
  const docs = [ids(9, 5), ids(3, 6), ids(12, 7)];
  // Two requests sharing a context: with shareContext 'always' they are one window with its own masks (a WindowLayout).
  const shared = [{ context: ids(5, 8), continuation: ids(2, 9) }, { context: ids(5, 8), continuation: ids(3, 10) }];
  const evaluate = async () => ({
    scores: await new LmContinuationScorer(model, { maxTokens: 16, quantum: 8 }).score(reqs),
    sharedScores: await new LmContinuationScorer(model, { maxTokens: 16, shareContext: 'always' }).score(shared),
    routes: await probeRoutes(model, docs, { maxTokens: 16, batchSize: 2, quantum: 8 }),
  });
  try {
    const host = await evaluate();
    forceAsyncRouting(true);
    let device: typeof host;
    try {
      device = await withoutSyncReads(evaluate);
    } finally {
      forceAsyncRouting(false);
    }
    assert.deepEqual(device, host);
  } finally {
    model.dispose();
  }
});
