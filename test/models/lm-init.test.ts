/**
 * The LM starts from LibMoE's initial weights: for every parameter, the drawn values have the
 * distribution LibMoE's code gives it (docs/models.md "Initialisation"). Statistics are
 * pooled over the blocks (every block has the same target) and checked against sampling
 * tolerances; the seeds are fixed, so the assertions are deterministic.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { prenormLinear, sampleStd, torchLinearDefault } from '../../src/models/lm/libmoe-init.js';
import { seededTruncatedNormal } from '../../src/models/lm/seeded-draws.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';

before(async () => {
  await selectBackend('wasm');
});

const L = 4; // √(2/L) ≠ 1, so a missing depth factor shows
const D = 64;
const V = 512;
const H = 2;
const HD = 32;
const E = 8;
const K = 2;
const S = 32;
const DEPTH = Math.sqrt(2 / L);

/** Std of N(0, 1) truncated to [−2, 2]: √(1 − 4φ(2)/(Φ(2) − Φ(−2))). */
const TRUNC_STD = Math.sqrt(1 - (4 * Math.exp(-2)) / Math.sqrt(2 * Math.PI) / 0.9544997361036416);
/** After reset_prenorm_params' rescale, |w| ≤ 2/std_raw · target. */
const TRUNC_BOUND = 2 / TRUNC_STD;

function config(algorithm: string, options: Record<string, unknown> = {}, dense = false): LmConfig {
  return {
    vocabSize: V, dModel: D, nLayers: L, nHeads: H, headDim: HD, seed: 11,
    ffn: dense ? { kind: 'dense', hidden: 96 } : { kind: 'moe', algorithm, nExperts: E, topK: K, expertSize: S, options: options as never },
  };
}

/** The values of `name` (a key with `{i}` is pooled over every block). */
function values(model: TransformerLM, name: string): Float32Array {
  const names = name.includes('{i}') ? Array.from({ length: L }, (_, i) => name.replace('{i}', String(i))) : [name];
  const parts = names.map((n) => model.param(n).dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Stats {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
  readonly maxAbs: number;
}

function stats(x: Float32Array): Stats {
  let mean = 0;
  let maxAbs = 0;
  for (const v of x) {
    mean += v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  return { n: x.length, mean: mean / x.length, std: sampleStd(x), maxAbs };
}

/** Mean within 5 standard errors of 0; std within 5 standard errors (normal: σ/√(2n)) of `std`. */
function assertCentred(s: Stats, std: number, what: string): void {
  assert.ok(Math.abs(s.mean) < (5 * std) / Math.sqrt(s.n), `${what}: mean ${s.mean} is not ≈ 0 (std ${std}, n ${s.n})`);
  const tol = 5 / Math.sqrt(2 * s.n);
  assert.ok(Math.abs(s.std / std - 1) < tol, `${what}: std ${s.std} is not ${std} within ${(tol * 100).toFixed(1)}% (n ${s.n})`);
}

/** An untruncated normal of n ≥ 16384 draws reaches 3.3σ (≈ 16 expected beyond it). */
function assertNormal(model: TransformerLM, name: string, std: number): void {
  const s = stats(values(model, name));
  assertCentred(s, std, name);
  assert.ok(s.n >= 16384, `${name}: too few values (${s.n}) to see the tails`);
  assert.ok(s.maxAbs > 3.3 * std, `${name}: max |w| ${s.maxAbs} stays below 3.3σ: truncated, not N(0, σ²)`);
}

/**
 * reset_prenorm_params: sample std exactly the target, values inside ±2·target/std_raw ≈ ±2.27·target,
 * reaching the edge. std_raw is each tensor's own (≥ 4096 draws: within ±6% of TRUNC_STD),
 * while a plain normal passes 2.4σ about once per 60 values.
 */
function assertPrenorm(model: TransformerLM, name: string, fanIn: number): void {
  const target = Math.sqrt(2 / (L * fanIn));
  const s = stats(values(model, name));
  assertCentred(s, target, name);
  assert.ok(s.maxAbs <= TRUNC_BOUND * target * 1.06, `${name}: max |w| ${s.maxAbs} beyond the truncation ${TRUNC_BOUND * target}`);
  assert.ok(s.maxAbs >= 0.94 * TRUNC_BOUND * target, `${name}: max |w| ${s.maxAbs} does not reach the truncation ${TRUNC_BOUND * target}`);
}

/** torch.nn.Linear's default: U(±1/√fan_in), std 1/√(3·fan_in), reaching the bound. */
function assertTorchLinear(model: TransformerLM, name: string, fanIn: number): void {
  const bound = 1 / Math.sqrt(fanIn);
  const s = stats(values(model, name));
  assertCentred(s, bound / Math.sqrt(3), name);
  assert.ok(s.maxAbs <= bound && s.maxAbs > 0.98 * bound, `${name}: max |w| ${s.maxAbs} is not just inside U(±${bound})`);
}

function assertConstant(model: TransformerLM, name: string, value: number): void {
  const x = values(model, name);
  assert.ok(x.every((v) => v === value), `${name}: not all ${value}`);
}

/** The LM's own tensors, whatever its FFN. */
function assertLmTensors(model: TransformerLM): void {
  assertNormal(model, 'embedding.weight', 1 / Math.sqrt(D));
  // The fused qkv holds LibMoE's data_to_q (first H·hd columns) and data_to_kv, each rescaled on its own.
  const qkv = values(model, 'layers.{i}.attn.qkv');
  const q: number[] = [];
  const kv: number[] = [];
  qkv.forEach((v, j) => ((j % (3 * H * HD)) < H * HD ? q : kv).push(v));
  for (const [part, x, n] of [['q', q, D * H * HD], ['kv', kv, 2 * D * H * HD]] as const) {
    for (let i = 0; i < L; i++) {
      const block = Float32Array.from(x.slice(i * n, (i + 1) * n));
      const target = Math.sqrt(2 / (L * D));
      assert.ok(Math.abs(sampleStd(block) / target - 1) < 1e-5, `block ${i} ${part}: std ${sampleStd(block)} is not exactly ${target}`);
    }
  }
  assertPrenorm(model, 'layers.{i}.attn.qkv', D);
  assertPrenorm(model, 'layers.{i}.attn.out', H * HD);
  for (const ln of ['layers.{i}.ln1', 'layers.{i}.ln2', 'ln_f']) {
    assertConstant(model, `${ln}.weight`, 1);
    assertConstant(model, `${ln}.bias`, 0);
  }
  assertTorchLinear(model, 'lm_head.weight', D);
}

test('reset_prenorm_params: torch trunc_normal_ defaults (N(0,1) cut at ±2, absolute bounds), then rescaled to an exact std √(2/(L·fan_in))', () => {
  const raw = seededTruncatedNormal(100_000, 3);
  const r = stats(raw);
  assert.ok(r.maxAbs <= 2 && r.maxAbs > 1.999, `raw draws reach but never pass ±2 (max ${r.maxAbs})`);
  assertCentred(r, TRUNC_STD, 'trunc_normal_ draws');
  const w = prenormLinear(100_000, 256, 16, 3);
  const target = Math.sqrt(2 / (16 * 256));
  assert.ok(Math.abs(sampleStd(w) / target - 1) < 1e-6, `rescaled std ${sampleStd(w)} is exactly ${target}`);
  const scale = target / sampleStd(raw);
  assert.ok(w.every((v, i) => Math.abs(v / raw[i]! - scale) < 1e-5 * scale), 'the rescale is one common factor');
  const u = stats(torchLinearDefault(100_000, 256, 3));
  assert.ok(u.maxAbs <= 1 / 16 && u.maxAbs > 0.999 / 16, 'U(±1/√fan_in) reaches its bound');
});

test('dense LM: embedding N(0, 1/D), attention and FFN projections reset_prenorm_params, LayerNorms 1/0, output torch.nn.Linear default', () => {
  const model = new TransformerLM(config('', {}, true));
  assertLmTensors(model);
  assertPrenorm(model, 'layers.{i}.ffn.w1', D);
  assertPrenorm(model, 'layers.{i}.ffn.w2', 96);
  model.dispose();
});

/** σ-MoE tensors: plain normals with LibMoE's std times the depth factor √(2/L). */
const SIGMA_MOE: Record<string, number> = {
  keys: DEPTH / Math.sqrt(D),
  values: DEPTH / Math.sqrt(E * S), // (E·s)^-½, not s^-½
};

for (const [algorithm, options] of [
  ['moe_layer', { selection_mode: 'gate', perplexity_reg_mode: 'standard' }],
  ['moe_layer', { selection_mode: 'sigmoid', perplexity_reg_mode: 'step' }],
  ['moe_layer_remoe', {}],
] as const) {
  test(`${algorithm} (${JSON.stringify(options)}): expert_sel N(0, 1/D)·√(2/L), keys N(0, 1/D)·√(2/L), values N(0, 1/(E·s))·√(2/L)`, () => {
    const model = new TransformerLM(config(algorithm, options), createMoeLayer);
    for (const [name, std] of Object.entries(SIGMA_MOE)) assertNormal(model, `layers.{i}.ffn.${name}`, std);
    assertCentred(stats(values(model, 'layers.{i}.ffn.expert_sel')), DEPTH / Math.sqrt(D), 'expert_sel');
    assertLmTensors(model);
    model.dispose();
  });
}

test('moe_layer_tc_moe: the [2E+K, D] router and the E experts as moe_layer', () => {
  const model = new TransformerLM(config('moe_layer_tc_moe', { perplexity_reg_mode: 'tcmoe' }), createMoeLayer);
  assertLmTensors(model);
  assert.deepEqual(model.param('layers.0.ffn.expert_sel').shape, [2 * E + K, D]);
  assertCentred(stats(values(model, 'layers.{i}.ffn.expert_sel')), DEPTH / Math.sqrt(D), 'expert_sel');
  for (const [name, std] of Object.entries(SIGMA_MOE)) assertNormal(model, `layers.{i}.ffn.${name}`, std);
  model.dispose();
});

test('moe_layer_xmoe: reduction N(0, 1/D)·√(2/L); expert embeddings orthogonal_ with gain 0.32 (orthonormal columns of norm 0.32, no depth factor)', () => {
  const model = new TransformerLM(config('moe_layer_xmoe', { perplexity_reg_mode: 'step' }), createMoeLayer);
  assertLmTensors(model);
  assertCentred(stats(values(model, 'layers.{i}.ffn.expert_sel')), DEPTH / Math.sqrt(D), 'expert_sel');
  for (const [name, std] of Object.entries(SIGMA_MOE)) assertNormal(model, `layers.{i}.ffn.${name}`, std);
  for (let i = 0; i < L; i++) {
    const emb = model.param(`layers.${i}.ffn.expert_embeddings`);
    const [rows, cols] = emb.shape as [number, number];
    assert.deepEqual([rows, cols], [E, E / 2]);
    const x = emb.dataSync();
    for (let a = 0; a < cols; a++) {
      for (let b = 0; b < cols; b++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += x[r * cols + a]! * x[r * cols + b]!;
        assert.ok(Math.abs(dot - (a === b ? 0.32 ** 2 : 0)) < 1e-6, `block ${i}: column ${a}·column ${b} = ${dot}`);
      }
    }
  }
  model.dispose();
});

for (const [algorithm, options] of [
  ['moe_layer_deepseekv2', { perplexity_reg_mode: 'deepseek', n_group: 4, topk_group: 2 }],
  ['moe_layer_deepseekv3', { selection_mode: 'sigmoid', perplexity_reg_mode: 'standard' }],
] as const) {
  test(`${algorithm}: routed experts as moe_layer; the fused shared expert keys N(0, 1/D)·√(2/L), values N(0, 1/(2s))·√(2/L); bias 0`, () => {
    const model = new TransformerLM(config(algorithm, options), createMoeLayer);
    assertCentred(stats(values(model, 'layers.{i}.ffn.expert_sel')), DEPTH / Math.sqrt(D), 'expert_sel');
    for (const [name, std] of Object.entries(SIGMA_MOE)) assertNormal(model, `layers.{i}.ffn.${name}`, std);
    assertNormal(model, 'layers.{i}.ffn.keys_shared', DEPTH / Math.sqrt(D));
    assertNormal(model, 'layers.{i}.ffn.values_shared', DEPTH / Math.sqrt(2 * S));
    if (options.perplexity_reg_mode === 'deepseek') {
      for (const layer of model.moeLayers) {
        const bias = (layer!.state() as { e_score_correction_bias: number[] }).e_score_correction_bias;
        assert.deepEqual(bias, new Array(E).fill(0));
      }
    }
    assertLmTensors(model);
    model.dispose();
  });
}

test('a VLM router in the LM keeps its stack\'s init: gate N(0, 0.02), GELU experts torch.nn.Linear default, no depth factor', () => {
  const model = new TransformerLM(config('smoe'), createMoeLayer);
  assertLmTensors(model);
  assertCentred(stats(values(model, 'layers.{i}.ffn.gate.weight')), 0.02, 'gate.weight');
  const pooled = (suffix: string): string => `layers.{i}.ffn.experts.{e}.${suffix}`;
  for (const [suffix, fanIn] of [['0.weight', D], ['0.bias', D], ['2.weight', S], ['2.bias', S]] as const) {
    // Pool over experts too: one [D] bias is too few values for a std.
    const all: number[] = [];
    for (let e = 0; e < E; e++) all.push(...values(model, pooled(suffix).replace('{e}', String(e))));
    const bound = 1 / Math.sqrt(fanIn);
    const s = stats(Float32Array.from(all));
    assertCentred(s, bound / Math.sqrt(3), suffix);
    assert.ok(s.maxAbs <= bound, `${suffix}: max |w| ${s.maxAbs} beyond U(±${bound})`);
  }
  model.dispose();
});
