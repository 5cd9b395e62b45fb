/**
 * The evaluation scorer: its log-probabilities are the model's own (a plain forward of the
 * unpadded sequence), they do not depend on how requests are batched or padded, greedy tokens
 * are the argmax, and scoring leaves every router's state as it was.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { selectBackend } from '../../src/models/backend.js';
import { saveLmCheckpoint } from '../../src/models/checkpoint/lm-checkpoint.js';
import { modelFromCheckpoint } from '../../src/models/checkpoint/load-lm-weights.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/models/checkpoint/safetensors.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import type { ContinuationRequest, ContinuationScore } from '../../src/models/lm/continuation-types.js';
import { LmContinuationScorer, batchLayout, windowCost } from '../../src/models/lm/score-continuations.js';
import { resolveLmConfig } from '../../src/models/lm/config.js';
import { LmTrainer } from '../../src/models/lm/trainer.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';
import { tf } from '../../src/models/tf.js';
import { TINY_DENSE, tinyBatch } from './lm-fixtures.js';

const MOE: LmConfig = { ...TINY_DENSE, vocabSize: 23, dModel: 16, headDim: 8, ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } } };
const DEEPSEEK: LmConfig = { ...MOE, ffn: { kind: 'moe', algorithm: 'moe_layer_deepseekv2', nExperts: 8, topK: 3, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'deepseek', perplexity_reg: 0.01, n_group: 4, topk_group: 2 } } };

/** Requests of different lengths, from a fixed recurrence. */
function requests(vocab: number): ContinuationRequest[] {
  const lens: [number, number][] = [[1, 1], [5, 2], [3, 4], [9, 1], [2, 6], [7, 3], [1, 5]];
  let s = 17;
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 16) % vocab; };
  return lens.map(([c, n]) => ({ context: Int32Array.from({ length: c }, next), continuation: Int32Array.from({ length: n }, next) }));
}

/** Multiple-choice-like requests: a few contexts, each followed by options of different lengths (consecutive, as scoreItems sends them). */
function sharedContextRequests(vocab: number): ContinuationRequest[] {
  let s = 91;
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 16) % vocab; };
  const out: ContinuationRequest[] = [];
  for (const [c, options] of [[6, [1, 3, 2, 4]], [1, [2, 5]], [9, [3, 1, 3]], [4, [6]]] as [number, number[]][]) {
    const context = Int32Array.from({ length: c }, next);
    for (const n of options) out.push({ context: context.slice(), continuation: Int32Array.from({ length: n }, next) });
  }
  return out;
}

/** Reference: one plain forward of the unpadded sequence, log-softmax in float64. */
async function reference(model: TransformerLM, r: ContinuationRequest): Promise<ContinuationScore> {
  const seq = [...r.context, ...r.continuation];
  const T = seq.length - 1;
  const V = model.config.vocabSize;
  const logits = tf.tidy(() => model.forward(tf.tensor1d(seq.slice(0, T), 'int32'), 1, T, { training: false, step: 0, totalSteps: 1 }).logits);
  const z = await logits.data();
  logits.dispose();
  const lp: number[] = [];
  const am: number[] = [];
  for (let t = 0; t < T; t++) {
    const row = Array.from(z.subarray(t * V, (t + 1) * V));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
    lp.push(row[seq[t + 1]!]! - lse);
    am.push(row.indexOf(m));
  }
  const c = r.context.length;
  return { tokenLogprobs: Float64Array.from(lp.slice(c - 1)), contextLogprob: lp.slice(0, c - 1).reduce((a, b) => a + b, 0), greedy: Int32Array.from(am.slice(c - 1)) };
}

function maxDiff(a: readonly ContinuationScore[], b: readonly ContinuationScore[]): number {
  let d = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    d = Math.max(d, Math.abs(x.contextLogprob - y.contextLogprob));
    x.tokenLogprobs.forEach((v, j) => { d = Math.max(d, Math.abs(v - y.tokenLogprobs[j]!)); });
  });
  return d;
}

async function scoreInGroups(scorer: LmContinuationScorer, reqs: ContinuationRequest[], size: number): Promise<ContinuationScore[]> {
  const out: ContinuationScore[] = [];
  for (let i = 0; i < reqs.length; i += size) out.push(...(await scorer.score(reqs.slice(i, i + size))));
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`LmContinuationScorer (${backend})`, () => {
    it('gives the log-probabilities and argmax tokens of a plain forward of each unpadded sequence', async () => {
      await selectBackend(backend);
      const model = new TransformerLM(MOE, createMoeLayer);
      const reqs = requests(MOE.vocabSize);
      const got = await new LmContinuationScorer(model, { maxTokens: 16, quantum: 8 }).score(reqs);
      const want: ContinuationScore[] = [];
      for (const r of reqs) want.push(await reference(model, r));
      assert.ok(maxDiff(got, want) < 1e-4, `max |Δ log p| = ${maxDiff(got, want)}`);
      assert.deepEqual(got.map((g) => [...g.greedy]), want.map((w) => [...w.greedy]));
      model.dispose();
    });

    for (const config of [MOE, DEEPSEEK]) {
      it(`scores options that share a context in one window exactly as their own forwards (${config.ffn.kind === 'moe' ? config.ffn.algorithm : 'dense'})`, async () => {
        await selectBackend(backend);
        const model = new TransformerLM(config, createMoeLayer);
        const reqs = sharedContextRequests(config.vocabSize);
        const got = await new LmContinuationScorer(model, { maxTokens: 16, shareContext: 'always' }).score(reqs);
        const want: ContinuationScore[] = [];
        for (const r of reqs) want.push(await reference(model, r));
        assert.ok(maxDiff(got, want) < 1e-4, `max |Δ log p| = ${maxDiff(got, want)}`);
        assert.deepEqual(got.map((g) => [...g.greedy]), want.map((w) => [...w.greedy]));
        const unshared = await new LmContinuationScorer(model, { maxTokens: 16, shareContext: false }).score(reqs);
        assert.ok(maxDiff(got, unshared) < 1e-5, `shared vs unshared: max |Δ log p| = ${maxDiff(got, unshared)}`);
        model.dispose();
      });
    }

    it('leaves the context out when a request does not read its log-probability', async () => {
      await selectBackend(backend);
      const model = new TransformerLM(MOE, createMoeLayer);
      const reqs = sharedContextRequests(MOE.vocabSize);
      const full = await new LmContinuationScorer(model, { maxTokens: 16, shareContext: 'always' }).score(reqs);
      const lean = await new LmContinuationScorer(model, { maxTokens: 16, shareContext: 'always' }).score(reqs.map((r) => ({ ...r, scoreContext: false })));
      assert.ok(lean.every((x) => Number.isNaN(x.contextLogprob)));
      const d = Math.max(...lean.flatMap((x, i) => [...x.tokenLogprobs].map((v, j) => Math.abs(v - full[i]!.tokenLogprobs[j]!))));
      assert.ok(d < 1e-6, `max |Δ log p| = ${d}`);
      model.dispose();
    });

    it('does not depend on the batch size or on the padding quantum', async () => {
      await selectBackend(backend);
      const model = new TransformerLM(MOE, createMoeLayer);
      const reqs = requests(MOE.vocabSize);
      const all = await new LmContinuationScorer(model, { maxTokens: 16, quantum: 16 }).score(reqs);
      for (const [size, quantum] of [[1, 1], [2, 4], [3, 8]] as const) {
        const got = await scoreInGroups(new LmContinuationScorer(model, { maxTokens: 16, quantum }), reqs, size);
        assert.ok(maxDiff(got, all) < 1e-5, `batch ${size}, quantum ${quantum}: max |Δ log p| = ${maxDiff(got, all)}`);
        assert.deepEqual(got.map((g) => [...g.greedy]), all.map((w) => [...w.greedy]));
      }
      model.dispose();
    });
  });
}

describe('shared-context layout', () => {
  const model = { config: resolveLmConfig(MOE) };
  const cost = (rows: number): number => windowCost(model.config, rows);
  const req = (c: number, n: number, seed: number): ContinuationRequest => ({ context: Int32Array.from({ length: c }, (_, i) => (i * 5 + seed) % 23), continuation: Int32Array.from({ length: n }, (_, i) => (i * 3 + 1) % 23) });
  it('reads a long context once for all the options that share it', () => {
    const reqs = [0, 1, 2, 3].map(() => req(60, 3, 1));
    const l = batchLayout(reqs, cost, 64);
    assert.equal(l.groups.length, 1);
    assert.equal(l.rows, 60 + 4 * 2);
  });
  it('keeps options apart when one window for their short context and long options would cost more', () => {
    const reqs = [0, 1].map(() => req(2, 60, 1));
    const l = batchLayout(reqs, cost, 64);
    assert.equal(l.groups.length, 2);
    assert.equal(l.rows, 2 * 61);
  });
  it('never joins requests whose contexts differ, and without a cost keeps every request apart', () => {
    const reqs = [req(30, 2, 1), req(30, 2, 2), req(30, 2, 2)];
    assert.deepEqual(batchLayout(reqs, () => 0, 64).groups.map((g) => g.members), [[0], [1, 2]]);
    assert.deepEqual(batchLayout(reqs, undefined, 64).groups.map((g) => g.members), [[0], [1], [2]]);
  });
});

describe('evaluation changes no model state', () => {
  it('the DeepSeek aux-free bias is the same after scoring, and scoring twice gives the same numbers', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(DEEPSEEK, createMoeLayer);
    // Give the bias a non-trivial value first, as training would.
    const trainer = new LmTrainer(model, { lr: 1e-2, warmupSteps: 1, totalSteps: 3, minLrMultiplier: 1, gradClip: null, microBatches: 1 });
    for (const s of [1, 2]) await trainer.trainStep(tinyBatch(2, 8, DEEPSEEK.vocabSize, s));
    const before = JSON.stringify(model.moeLayers.map((l) => l?.state()));
    const scorer = new LmContinuationScorer(model, { maxTokens: 16, quantum: 8 });
    const reqs = requests(DEEPSEEK.vocabSize);
    const a = await scorer.score(reqs);
    assert.equal(JSON.stringify(model.moeLayers.map((l) => l?.state())), before);
    const b = await scoreInGroups(scorer, reqs, 2);
    assert.ok(maxDiff(a, b) < 1e-5);
    trainer.dispose();
    model.dispose();
  });
});

describe('modelFromCheckpoint', () => {
  it('rebuilds the model from the checkpoint alone and scores exactly as the trained one', async () => {
    await selectBackend('wasm');
    const dir = await mkdtemp(join(tmpdir(), 'moeflow-eval-ckpt-'));
    try {
      const model = new TransformerLM(MOE, createMoeLayer);
      const trainer = new LmTrainer(model, { lr: 1e-2, warmupSteps: 1, totalSteps: 3, minLrMultiplier: 1, gradClip: null, microBatches: 1 });
      await trainer.trainStep(tinyBatch(2, 8, MOE.vocabSize, 3));
      await saveLmCheckpoint(dir, trainer);
      const reqs = requests(MOE.vocabSize);
      const want = await new LmContinuationScorer(model, { maxTokens: 16 }).score(reqs);
      const loaded = await modelFromCheckpoint(dir, createMoeLayer);
      assert.equal(loaded.step, 1);
      const got = await new LmContinuationScorer(loaded.model, { maxTokens: 16 }).score(reqs);
      assert.deepStrictEqual(got, want);
      loaded.model.dispose();
      trainer.dispose();
      model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a tensor whose shape does not match the checkpoint config is an error naming it', async () => {
    await selectBackend('wasm');
    const dir = await mkdtemp(join(tmpdir(), 'moeflow-eval-ckpt-'));
    try {
      const model = new TransformerLM(MOE, createMoeLayer);
      const trainer = new LmTrainer(model, { lr: 1e-2, warmupSteps: 1, totalSteps: 3, minLrMultiplier: 1, gradClip: null, microBatches: 1 });
      await saveLmCheckpoint(dir, trainer);
      const file = join(dir, 'model.safetensors');
      const st = decodeSafetensors(new Uint8Array(await readFile(file)));
      const tensors = new Map(st.tensors);
      tensors.set('lm_head.weight', { dtype: 'F32', shape: [16, 5], data: new Float32Array(80) });
      await writeFile(file, encodeSafetensors(tensors, st.metadata));
      await assert.rejects(modelFromCheckpoint(dir, createMoeLayer), /model\.safetensors: tensor "lm_head\.weight" has shape \[16,5\], but the config in state\.json gives \[16,23\]/);
      trainer.dispose();
      model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('backends', () => {
  it('cpu and wasm agree within float tolerance (same seeded weights)', async () => {
    const reqs = requests(MOE.vocabSize);
    const per: ContinuationScore[][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const model = new TransformerLM(MOE, createMoeLayer);
      per.push(await new LmContinuationScorer(model, { maxTokens: 16, quantum: 8 }).score(reqs));
      model.dispose();
    }
    assert.ok(maxDiff(per[0]!, per[1]!) < 1e-4, `max |Δ log p| cpu vs wasm = ${maxDiff(per[0]!, per[1]!)}`);
  });
});
