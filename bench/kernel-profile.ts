/**
 * Where a training step's time goes, per tfjs kernel, as JSON: every kernel registered for the
 * current backend is wrapped with a timer (synchronous backends only: cpu, wasm), then the
 * quickstart-shaped LM (or `--d N --seq N --batch N`) trains a few steps on synthetic tokens.
 * Usage: node dist/bench/kernel-profile.js [backend=wasm] [steps=5] [--d 128] [--seq 128] [--batch 8] [--by-shape]
 * `--by-shape`: one row per kernel and input shapes (and attributes), to find which call is slow.
 */
import { selectBackend, type BackendRequest } from '../src/models/backend.js';
import { TransformerLM } from '../src/models/lm/transformer-lm.js';
import { LmTrainer } from '../src/models/lm/trainer.js';
import type { LmConfig } from '../src/models/lm/config.js';
import { tf } from '../src/models/tf.js';
import { createMoeLayer } from '../src/models/moe/registry.js';
import { round } from './matmul-rate.js';
import { syntheticBatch } from './synthetic-batch.js';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const backend = await selectBackend((positional[0] ?? 'wasm') as BackendRequest);
const steps = Number(positional[1] ?? 5);
const d = option('d', 128), T = option('seq', 128), B = option('batch', 8);
const cfg: LmConfig = {
  vocabSize: 1024, dModel: d, nLayers: 4, nHeads: 4, headDim: d / 4, seed: 42,
  ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 8, topK: 2, expertSize: d / 2, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } },
};

const spent = new Map<string, { ms: number; calls: number }>();
const byShape = process.argv.includes('--by-shape');
function describe(name: string, args: { inputs: Record<string, tf.TensorInfo | undefined>; attrs?: Record<string, unknown> }): string {
  const shapes = Object.entries(args.inputs).filter(([, t]) => t !== undefined && t !== null).map(([k, t]) => `${k}[${t!.shape.join(',')}]`).join(' ');
  const attrs = Object.entries(args.attrs ?? {}).filter(([, v]) => typeof v !== 'object' || Array.isArray(v)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${name} ${shapes} ${attrs}`.trim();
}
let timing = false;
for (const kernel of tf.getKernelsForBackend(backend.name)) {
  const inner = kernel.kernelFunc;
  tf.unregisterKernel(kernel.kernelName, backend.name);
  tf.registerKernel({
    ...kernel,
    kernelFunc: ((args: never) => {
      if (!timing) return (inner as (a: never) => unknown)(args);
      const t0 = performance.now();
      const out = (inner as (a: never) => unknown)(args);
      const key = byShape ? describe(kernel.kernelName, args) : kernel.kernelName;
      const s = spent.get(key) ?? { ms: 0, calls: 0 };
      s.ms += performance.now() - t0;
      s.calls++;
      spent.set(key, s);
      return out;
    }) as never,
  });
}

const model = new TransformerLM(cfg, createMoeLayer);
const trainer = new LmTrainer(model, { lr: 1e-3, warmupSteps: 0, totalSteps: 1000, minLrMultiplier: 0.1, gradClip: 1 });
const batch = syntheticBatch(B, T, cfg.vocabSize);
await trainer.trainStep(batch);
timing = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainer.trainStep(batch);
const wall = (performance.now() - t0) / steps;
timing = false;
const kernels = [...spent.entries()].map(([name, s]) => ({ kernel: name, msPerStep: round(s.ms / steps), callsPerStep: round(s.calls / steps, 1), usPerCall: round((s.ms * 1000) / s.calls, 1) }))
  .sort((a, b) => b.msPerStep - a.msPerStep);
const inKernels = kernels.reduce((a, k) => a + k.msPerStep, 0);
console.log(JSON.stringify({
  bench: 'kernel-profile', backend: backend.name, reason: backend.reason, shape: { d, T, B }, msPerStep: round(wall),
  tokensPerSec: round((B * T) / (wall / 1000), 0), msInKernels: round(inKernels), msOutsideKernels: round(wall - inKernels), kernels,
}, null, 2));
