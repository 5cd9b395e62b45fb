/**
 * The probe pass: every probe token's route in every MoE layer, as a plain forward of its
 * window gives it, whatever the batching; deterministic across reruns; long documents are cut
 * into windows, and the last token of a window has no next-token log-probability.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectBackend } from '../../src/models/backend.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { moeLayerWeights } from '../../src/models/lm/moe-layer-weights.js';
import { probeRoutes, type ProbeResult } from '../../src/models/lm/probe-routes.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';
import { tf } from '../../src/models/tf.js';
import { validateRoutes } from '../../src/analysis/routes.js';
import { switchFraction } from '../../src/analysis/selection-change.js';
import { TINY_DENSE } from './lm-fixtures.js';

const MOE: LmConfig = { ...TINY_DENSE, vocabSize: 23, dModel: 16, headDim: 8, ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 8, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } } };

function documents(vocab: number): Int32Array[] {
  let s = 5;
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 16) % vocab; };
  return [7, 3, 12, 1, 9].map((n) => Int32Array.from({ length: n }, next));
}

/** A plain forward of one unpadded window: its routes per MoE layer. */
function plainRoutes(model: TransformerLM, ids: Int32Array): Int32Array[] {
  return tf.tidy(() => model.forward(tf.tensor1d(ids, 'int32'), 1, ids.length, { training: false, step: 0, totalSteps: 1 }).moe.map((m) => m.out.selected));
}

function weightsDiff(a: ProbeResult, b: ProbeResult): number {
  let d = 0;
  a.layers.forEach((l, i) => l.weights.forEach((w, j) => { d = Math.max(d, Math.abs(w - b.layers[i]!.weights[j]!)); }));
  return d;
}

describe('probeRoutes', () => {
  it('gives each token the route of a plain forward of its window, for every MoE layer', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    const docs = documents(MOE.vocabSize);
    const got = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 2, quantum: 8 });
    assert.equal(got.tokens, 7 + 3 + 12 + 1 + 9);
    assert.deepEqual(got.layers.map((l) => [l.layer, l.k, l.experts]), [[0, 2, 4], [1, 2, 4]]);
    const want = docs.map((d) => plainRoutes(model, d));
    for (const [li, layer] of got.layers.entries()) {
      validateRoutes(layer, `layer ${layer.layer}`);
      assert.deepEqual([...layer.selected], want.flatMap((w) => [...w[li]!]));
    }
    model.dispose();
  });

  it('does not depend on batch size or padding, and a rerun gives the same routes (switch fraction 0)', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    const docs = documents(MOE.vocabSize);
    const a = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 1, quantum: 1 });
    const b = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 5, quantum: 16 });
    const c = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 5, quantum: 16 });
    a.layers.forEach((l, i) => assert.deepEqual([...l.selected], [...b.layers[i]!.selected]));
    assert.ok(weightsDiff(a, b) < 1e-5, `max |Δ weight| = ${weightsDiff(a, b)}`);
    assert.deepStrictEqual(c, b);
    assert.equal(switchFraction(b.layers[0]!, c.layers[0]!), 0);
    model.dispose();
  });

  it('cuts long documents into windows; the last token of each window has no next-token log-probability', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    const docs = documents(MOE.vocabSize); // lengths 7, 3, 12, 1, 9
    const r = await probeRoutes(model, docs, { maxTokens: 5, batchSize: 3, quantum: 4 });
    assert.deepEqual([...r.document], docs.flatMap((d, i) => Array.from(d, () => i)));
    assert.deepEqual([...r.tokenIds], docs.flatMap((d) => [...d]));
    // windows: 5+2, 3, 5+5+2, 1, 5+4 → window ends at these probe positions
    const ends = [4, 6, 9, 14, 19, 21, 22, 27, 31];
    r.nextLogprob.forEach((lp, t) => assert.equal(Number.isNaN(lp), ends.includes(t), `token ${t}`));
    assert.ok([...r.nextLogprob].every((lp) => Number.isNaN(lp) || lp < 0));
    model.dispose();
  });

  it('gives each token log p(next token) as logSoftmax of a plain forward, also where a probability is below float32\'s normal range', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    const docs = documents(MOE.vocabSize);
    /** Per probe token, log p(next) from logSoftmax over a plain forward of its (unpadded) document; NaN for the last. */
    const want = (): number[] => docs.flatMap((d) => {
      const lsm = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor1d(d, 'int32'), 1, d.length, { training: false, step: 0, totalSteps: 1 }).logits).arraySync() as number[][]);
      return Array.from(d, (_, t) => (t + 1 < d.length ? lsm[t]![d[t + 1]!]! : NaN));
    });
    const close = (got: Float32Array, exp: number[]): void => exp.forEach((e, t) => {
      if (Number.isNaN(e)) assert.ok(Number.isNaN(got[t]!), `token ${t}`);
      else assert.ok(Math.abs(got[t]! - e) <= 1e-4 * Math.max(1, Math.abs(e)), `token ${t}: ${got[t]} vs ${e}`);
    });
    close((await probeRoutes(model, docs, { maxTokens: 16, batchSize: 2, quantum: 8 })).nextLogprob, want());
    // Output projection scaled up: many next tokens get probability < 1.2e-38 (log < −87.3), where softmax underflows.
    const head = model.param('lm_head.weight');
    head.assign(tf.tidy(() => tf.mul(head, 400)));
    const sharp = want();
    assert.ok(sharp.some((lp) => lp < -200), 'the scaled model has next tokens far below float32\'s range');
    const got = (await probeRoutes(model, docs, { maxTokens: 16, batchSize: 2, quantum: 8 })).nextLogprob;
    assert.ok([...got].every((lp) => Number.isNaN(lp) || Number.isFinite(lp)));
    close(got, sharp);
    model.dispose();
  });

  it('under DropTop-1 keeps the first MoE layer\'s routes (later layers see the ablated stream) and changes the log-probabilities', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    const docs = documents(MOE.vocabSize);
    const intact = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 5 });
    const ablated = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 5, dropTop: 1 });
    assert.deepEqual([...ablated.layers[0]!.selected], [...intact.layers[0]!.selected]);
    const moved = [...intact.nextLogprob].filter((lp, t) => !Number.isNaN(lp) && Math.abs(lp - ablated.nextLogprob[t]!) > 1e-4).length;
    assert.ok(moved > 0, 'some next-token log-probability changes');
    model.dispose();
  });

  it('works on an empty probe set and rejects a zero batch size', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    const r = await probeRoutes(model, [], { maxTokens: 8, batchSize: 2 });
    assert.equal(r.tokens, 0);
    await assert.rejects(probeRoutes(model, [], { maxTokens: 8, batchSize: 0 }), /batchSize must be ≥ 1/);
    model.dispose();
  });
});


describe('moeLayerWeights', () => {
  it('reads each MoE layer\'s parameters under their LibMoE names with the variables\' values', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    try {
      const all = await moeLayerWeights(model);
      assert.deepEqual(all.map((l) => [l.layer, l.algorithm, l.expertKind, l.nExperts, l.params.map((x) => `${x.name}[${x.shape.join(',')}]`).sort()]), [0, 1].map((i) =>
        [i, 'moe_layer', 'relu-kv', 4, ['expert_sel[4,16]', 'keys[4,16,8]', 'values[4,8,16]']]));
      for (const l of all) for (const x of l.params) assert.deepEqual(x.values, model.param(`layers.${l.layer}.ffn.${x.name}`).dataSync(), `${l.layer} ${x.name}`);
      const only = await moeLayerWeights(model, (n) => n === 'keys');
      assert.deepEqual(only.map((l) => l.params.map((x) => x.name)), [['keys'], ['keys']]);
    } finally {
      model.dispose();
    }
  });
});

describe('probeRoutes countActiveHidden', () => {
  it('counts ReLU passes over real tokens only: the same with or without padding, k slots per token', async () => {
    await selectBackend('wasm');
    const model = new TransformerLM(MOE, createMoeLayer);
    try {
      const docs = documents(MOE.vocabSize);
      const padded = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 3, quantum: 8, countActiveHidden: true });
      const alone = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 1, quantum: 1, countActiveHidden: true });
      const plain = await probeRoutes(model, docs, { maxTokens: 16, batchSize: 3, quantum: 8 });
      assert.deepEqual(padded.layers.map((l) => l.hidden), alone.layers.map((l) => l.hidden));
      for (const l of padded.layers) {
        assert.equal(l.hidden!.slots, padded.tokens * 2);
        assert.equal(l.hidden!.width, 8);
        assert.ok(l.hidden!.active > 0 && l.hidden!.active < l.hidden!.slots * 8, `${l.hidden!.active}`);
      }
      assert.ok(plain.layers.every((l) => l.hidden === undefined));
      assert.deepEqual(plain.layers.map((l) => Array.from(l.selected)), padded.layers.map((l) => Array.from(l.selected)));
    } finally {
      model.dispose();
    }
  });
});
