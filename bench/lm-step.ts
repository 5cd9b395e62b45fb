/**
 * Whole-LM training throughput (forward, backward, AdamW) as JSON: a small dense LM and its
 * compute-matched MoE (same active FFN width) on the chosen backend.
 * Usage: node dist/bench/lm-step.js [backend=wasm] [steps=3]
 *        node dist/bench/lm-step.js [backend=wasm] [steps=2] --lm-154m [--no-recompute]
 * `--lm-154m`: LibMoE's 154M MoE LM (LIBMOE_154M_MOE) on one 1024-token sequence per step, as
 * pipelines/lm-154m.yaml trains it on wasm (batch 1, trainer.recompute); prints seconds per step,
 * tokens/s, and peak memory: the wasm heap's size (it only grows, so it is the peak reserved) and
 * tfjs's peak of live tensor bytes over the last step.
 */
import { selectBackend, type BackendRequest } from '../src/models/backend.js';
import { TransformerLM } from '../src/models/lm/transformer-lm.js';
import { LmTrainer } from '../src/models/lm/trainer.js';
import { denseBaselineOf, LIBMOE_154M_MOE, type LmConfig } from '../src/models/lm/config.js';
import { tf } from '../src/models/tf.js';
import { loadavg } from 'node:os';
import { createMoeLayer } from '../src/models/moe/registry.js';
import { matmulRate, median, round } from './matmul-rate.js';
import { syntheticBatch } from './synthetic-batch.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const backend = await selectBackend((positional[0] ?? 'wasm') as BackendRequest);
if (process.argv.includes('--lm-154m')) {
  await bench154m(Number(positional[1] ?? 2), !process.argv.includes('--no-recompute'));
  process.exit(0);
}
const steps = Number(positional[1] ?? 3);
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
  const batch = syntheticBatch(B, T, cfg.vocabSize);
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

/** LibMoE's 154M MoE LM, one 1024-token sequence per step (see the header). */
async function bench154m(steps: number, recompute: boolean): Promise<void> {
  const T = 1024;
  const load = () => loadavg().map((x) => round(x));
  const loadBefore = load();
  const model = new TransformerLM(LIBMOE_154M_MOE, createMoeLayer);
  const trainer = new LmTrainer(model, { lr: 2.5e-4, warmupSteps: 0, totalSteps: 100000, minLrMultiplier: 0.1, gradClip: 0.1, recompute });
  const batch = syntheticBatch(1, T, LIBMOE_154M_MOE.vocabSize);
  const heapGiB = (): number | undefined => {
    const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
    return wasm ? round(wasm.HEAPU8.buffer.byteLength / 2 ** 30, 3) : undefined;
  };
  const rows = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    let loss = NaN;
    const info = await tf.profile(async () => { loss = (await trainer.trainStep(batch)).loss; });
    const s = (performance.now() - t0) / 1000;
    rows.push({ step: i, seconds: round(s), tokensPerSec: round(T / s, 1), loss: round(loss, 4), peakLiveGiB: round(info.peakBytes / 2 ** 30, 3), wasmHeapGiB: heapGiB() });
  }
  console.log(JSON.stringify({
    bench: 'lm-step', model: 'LIBMOE_154M_MOE', backend: backend.name, parameters: model.parameterCount(), seqLen: T, batch: 1, recompute,
    weightsGradsMomentsGiB: round((16 * model.parameterCount()) / 2 ** 30, 3), wasmHeapLimitGiB: 4, steps: rows, loadavgBefore: loadBefore, loadavgAfter: load(),
  }, null, 2));
  trainer.dispose();
  model.dispose();
}
