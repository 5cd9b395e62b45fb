/**
 * MoE layer forward+backward throughput per router, as JSON.
 *
 * For each shape and every algorithm in the registry: one MoE FFN layer on T tokens, the
 * gradient of sum(y·r) + aux_total w.r.t. the input and every layer parameter (what one
 * layer costs inside a training step; no optimiser update). Reported:
 *   tokensPerSec       T / median step time
 *   gflops             expert + router FLOPs (3 × forward) / step time
 *   moeEfficiency      achieved FLOP/s ÷ the same backend's plain 2-D matMul rate on the
 *                      compute-matched dense shape [T, d]×[d, K·h]: the median of all matMul
 *                      samples of this shape, one timed right after every timed step, so load
 *                      drift on a shared machine and single outliers both wash out
 * plus a dense FFN of width K·h as a baseline row, and, when Debian's python3-torch is
 * installed, our step time ÷ PyTorch's for the anchor shape (anchors/moe_layer_torch.py).
 *
 * Usage: node dist/bench/moe-layer.js [backend=wasm] [reps=3] [router,router,...]   (MOEFLOW_SHARED=path/to/shared;
 *        MOEFLOW_ASYNC_ROUTING=1 times the routing path of backends without synchronous read-back)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, type BackendRequest } from '../src/models/backend.js';
import { tf, type Tensor2D, type Tensor3D, type Variable } from '../src/models/tf.js';
import { matMul2D } from '../src/models/kernels/fast-matmul.js';
import { createMoeLayer, moeAlgorithms } from '../src/models/moe/registry.js';
import { forceAsyncRouting, withRoutingRead } from '../src/models/moe/routing-reads.js';
import type { MoeLayerSpec } from '../src/models/moe/types.js';
import { matmulRate, median, round } from './matmul-rate.js';
import { PYTHON, anchorEnv, sharedDir, torchProblem } from './python-anchor.js';

interface Shape {
  readonly name: string;
  readonly T: number;
  readonly d: number;
  readonly h: number;
  readonly E: number;
  readonly K: number;
}

const SHAPES: Shape[] = [
  { name: 'T2048-d256-h512-E8-K2', T: 2048, d: 256, h: 512, E: 8, K: 2 },
  { name: 'T2048-d256-h128-E64-K8', T: 2048, d: 256, h: 128, E: 64, K: 8 },
];

/** Options that make each LM router run its LibMoE sweep setting (softmax selection, standard balance). */
const ROUTER_OPTIONS: Record<string, Record<string, string | number>> = {
  moe_layer: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 },
};

const request = (process.argv[2] ?? 'wasm') as BackendRequest;
const reps = Number(process.argv[3] ?? 3);
const only = process.argv[4] ? process.argv[4].split(',') : null;
const backend = await selectBackend(request);
// MOEFLOW_ASYNC_ROUTING=1: the webgpu routing path (probe + replay, moe/routing-reads.ts) on any backend, to cost it.
if (process.env['MOEFLOW_ASYNC_ROUTING'] === '1') forceAsyncRouting(true);

/**
 * `reps` timed calls after one warm-up, each followed by one timed plain matMul of the
 * reference shape: on a shared machine the load drifts, and a ratio of neighbours is stable
 * where a ratio of two separate medians is not. `run` returns a tensor to read back (the sync point).
 */
async function timeSteps(run: () => tf.Tensor | Promise<tf.Tensor>, ref: Shape): Promise<{ ms: number[]; refGflops: number[] }> {
  const ms: number[] = [];
  const refGflops: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const t = await run();
    await t.data();
    t.dispose();
    if (i > 0) {
      ms.push(performance.now() - t0);
      refGflops.push((await matmulRate(ref.T, ref.d, ref.K * ref.h, 1)).gflops);
    }
  }
  return { ms, refGflops };
}

/** Efficiency = achieved FLOP/s ÷ `refGflops` (filled in once the whole shape's matMul samples are in). */
function summary(label: string, flops: number, t: { ms: number[]; refGflops: number[] }, T: number, extra: Record<string, unknown> = {}): Record<string, unknown> & { achieved: number } {
  const ms = median(t.ms);
  return { router: label, ...extra, medianMs: round(ms), runsMs: t.ms.map((x) => round(x, 0)), tokensPerSec: round(T / (ms / 1000), 0), gflops: round(flops / (ms * 1e6)), refMatmulGflops: t.refGflops.map((g) => round(g, 1)), achieved: flops / (ms * 1e6) };
}

/** One forward+backward through `f(x)`; returns Σ of every gradient's sum so one readback waits for all of them. */
function gradStep(x: Variable, vars: Variable[], f: () => tf.Scalar): tf.Tensor {
  const { value, grads } = tf.variableGrads(f, [x, ...vars]);
  const all = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(g))));
  tf.dispose([value, ...Object.values(grads)]);
  return all;
}

function specFor(algorithm: string, s: Shape): MoeLayerSpec {
  const lm = algorithm.startsWith('moe_layer');
  return {
    algorithm,
    dModel: s.d,
    nExperts: s.E,
    topK: s.K,
    expert: lm ? { kind: 'relu-kv', size: s.h } : { kind: 'gelu-mlp', hidden: s.h },
    options: ROUTER_OPTIONS[algorithm] ?? {},
    seed: 1,
  };
}

const results: unknown[] = [];
let softmaxE8Ms: number | null = null;
for (const s of SHAPES) {
  const dense = await matmulRate(s.T, s.d, s.K * s.h, reps + 2);
  const flops = 3 * (2 * s.T * s.K * 2 * s.d * s.h + 2 * s.T * s.d * s.E);
  const rows: unknown[] = [];
  const x = tf.variable(tf.randomNormal([2, s.T / 2, s.d], 0, 1, 'float32', 3) as Tensor3D, true);
  const r = tf.randomNormal([2, s.T / 2, s.d], 0, 1, 'float32', 4);

  // Dense FFN with the same active width: the compute-matched baseline.
  {
    const w1 = tf.variable(tf.randomNormal([s.d, s.K * s.h], 0, 0.05, 'float32', 5) as Tensor2D);
    const w2 = tf.variable(tf.randomNormal([s.K * s.h, s.d], 0, 0.05, 'float32', 6) as Tensor2D);
    const times = await timeSteps(() => gradStep(x, [w1, w2], () => {
      const x2 = tf.reshape(x, [s.T, s.d]) as Tensor2D;
      return tf.sum(tf.mul(matMul2D(tf.relu(matMul2D(x2, w1)), w2), tf.reshape(r, [s.T, s.d]))) as tf.Scalar;
    }), s);
    rows.push(summary('dense-ffn (width K·h)', 3 * 2 * s.T * 2 * s.d * s.K * s.h, times, s.T));
    tf.dispose([w1, w2]);
  }

  for (const algorithm of only ?? moeAlgorithms()) {
    let layer;
    try {
      layer = createMoeLayer(specFor(algorithm, s));
    } catch (e) {
      rows.push({ router: algorithm, error: (e as Error).message.split('\n')[0] });
      continue;
    }
    const ctx = { training: true, step: 0, totalSteps: 1000 };
    try {
      let k = s.K;
      // Routing read asynchronously first where the backend cannot read synchronously (webgpu).
      const times = await timeSteps(() => withRoutingRead(() => layer.apply(x as unknown as Tensor3D, ctx), () => gradStep(x, [...layer.variables.values()], () => {
        const out = layer.apply(x as unknown as Tensor3D, ctx);
        k = out.k;
        return tf.add(tf.sum(tf.mul(out.y, r)), out.auxTotal) as tf.Scalar;
      })), s);
      // FLOPs of the K this call actually routed (Hyper-R's dynamic K starts at topk_min),
      // plus the always-on shared expert: one expert for the VLM smoe_share*, width 2s
      // (= 2 slots) for the LM DeepSeek variants.
      const slots = k + (algorithm.startsWith('moe_layer_deepseek') ? 2 : algorithm.startsWith('smoe_share') ? 1 : 0);
      const routedFlops = 3 * (2 * s.T * slots * 2 * s.d * s.h + 2 * s.T * s.d * s.E);
      rows.push(summary(algorithm, routedFlops, times, s.T, { options: ROUTER_OPTIONS[algorithm] ?? {}, kThisCall: k }));
      if (algorithm === 'moe_layer' && s.E === 8) softmaxE8Ms = median(times.ms);
    } catch (e) {
      rows.push({ router: algorithm, error: (e as Error).message.split('\n')[0] });
    } finally {
      layer.dispose();
    }
  }
  tf.dispose([x, r]);
  const refSamples = [dense.gflops, ...rows.flatMap((r) => ((r as { refMatmulGflops?: number[] }).refMatmulGflops ?? []))];
  const ref = median(refSamples);
  const routers = rows.map((r) => {
    const { achieved, ...rest } = r as { achieved?: number };
    return achieved === undefined ? rest : { ...rest, moeEfficiency: round(achieved / ref, 3) };
  });
  results.push({ shape: s, nominalFlopsPerStep: flops, matmulRefGflops: round(ref), matmulSamples: refSamples.length, routers });
}

/** PyTorch anchor (same shape as SHAPES[0], top-2 of 8, Adam update included on its side). */
function torchAnchor(): { ratio: number | null; torchMs: number | null; reason: string; torch?: unknown } {
  const script = join(sharedDir(), 'anchors', 'moe_layer_torch.py');
  if (!existsSync(script)) return { ratio: null, torchMs: null, reason: `${script} not found (run from the repo root with ../shared beside it, or set MOEFLOW_SHARED)` };
  const missing = torchProblem();
  if (missing) return { ratio: null, torchMs: null, reason: missing };
  const run = spawnSync(PYTHON, [script], { encoding: 'utf8', timeout: 300_000, env: anchorEnv() });
  if (run.status !== 0) return { ratio: null, torchMs: null, reason: `anchor failed: ${(run.stderr || '').split('\n').slice(-3).join(' ')}` };
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { torch_moe_fwd_bwd: { medianMsPerStep: number } };
  const torchMs = out.torch_moe_fwd_bwd.medianMsPerStep;
  if (softmaxE8Ms === null) return { ratio: null, torchMs, reason: 'moe_layer did not run on the E8 shape', torch: out };
  return { ratio: round(softmaxE8Ms / torchMs, 2), torchMs, reason: 'our moe_layer (gate) step ms ÷ PyTorch step ms, same shape; PyTorch also runs an Adam update', torch: out };
}

console.log(JSON.stringify({ bench: 'moe-layer', backend: backend.name, reason: backend.reason, node: process.version, reps, results, pytorchAnchor: torchAnchor() }, null, 2));
