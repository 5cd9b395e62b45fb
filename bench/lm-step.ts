/**
 * Whole-LM training throughput (forward, backward, AdamW) as JSON: a small dense LM and its
 * compute-matched MoE (same active FFN width) on the chosen backend.
 * Usage: node dist/bench/lm-step.js [backend=wasm] [steps=3]
 */
import { selectBackend, type BackendRequest } from '../src/models/backend.js';
import { TransformerLM } from '../src/models/lm/transformer-lm.js';
import { LmTrainer } from '../src/models/lm/trainer.js';
import { denseBaselineOf, type LmConfig } from '../src/models/lm/config.js';
import { createMoeLayer } from '../src/models/moe/registry.js';
import { matmulRate, median, round } from './matmul-rate.js';

const backend = await selectBackend((process.argv[2] ?? 'wasm') as BackendRequest);
const steps = Number(process.argv[3] ?? 3);
const B = 8, T = 256;

const moe: LmConfig = {
  vocabSize: 8000, dModel: 256, nLayers: 4, nHeads: 4, headDim: 64, seed: 42,
  ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 8, topK: 2, expertSize: 512, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } },
};
const rate = await matmulRate(B * T, 256, 1024, 3);
const rows = [];
for (const [label, cfg] of [['dense (FFN 1024)', denseBaselineOf(moe)], ['moe_layer E8 K2 s512', moe]] as const) {
  const model = new TransformerLM(cfg, createMoeLayer);
  const trainer = new LmTrainer(model, { lr: 2.5e-4, warmupSteps: 0, totalSteps: 1000, minLrMultiplier: 0.1, gradClip: 0.1 });
  const tokens = new Int32Array(B * (T + 1));
  for (let i = 0; i < tokens.length; i++) tokens[i] = (i * 7919) % cfg.vocabSize;
  const batch = { tokens, batchSize: B, seqLen: T };
  await trainer.trainStep(batch);
  const ms: number[] = [];
  const ratios: number[] = [];
  let flops = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const r = await trainer.trainStep(batch);
    ms.push(performance.now() - t0);
    flops = r.flops;
    // A matMul timed right after each step: the ratio of neighbours survives load drift.
    ratios.push(flops / (ms[i]! * 1e6) / (await matmulRate(B * T, 256, 1024, 1)).gflops);
  }
  const m = median(ms);
  rows.push({ model: label, parameters: model.parameterCount(), tokensPerStep: B * T, medianMs: round(m), tokensPerSec: round((B * T) / (m / 1000), 0), modelGflops: round(flops / (m * 1e6)), efficiencyVsMatmul: round(median(ratios), 3) });
  trainer.dispose();
  model.dispose();
}
console.log(JSON.stringify({ bench: 'lm-step', backend: backend.name, reason: backend.reason, batch: { B, T }, matmul: rate, results: rows }, null, 2));
