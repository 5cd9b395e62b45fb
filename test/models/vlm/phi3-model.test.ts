/**
 * The Phi-3 decoder as a specification: transformers' Phi3ForCausalLM names, the model is its
 * golden-tested layers composed (test/golden: phi3_decoder_layer), and a right-padded batch
 * gives every real token the logits it has alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor1D, type Tensor2D, type Tensor3D } from '../../../src/models/tf.js';
import { Phi3Model } from '../../../src/models/phi3/model.js';
import type { Phi3ModelConfig } from '../../../src/models/phi3/model-config.js';

const CTX = { training: false, step: 0, totalSteps: 1 };
export const SMALL_PHI3: Phi3ModelConfig = {
  vocabSize: 40, layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, rmsNormEps: 1e-5, ropeTheta: 10000,
  maxPositionEmbeddings: 32, originalMaxPositionEmbeddings: 32, ropeScaling: null, tieWordEmbeddings: false, padTokenId: 39,
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
const ids = (a: number[]): Tensor1D => tf.tensor1d(a, 'int32');

test("the model's parameters carry Phi3ForCausalLM's state_dict names and shapes; a tied model has no lm_head", async () => {
  await selectBackend('cpu');
  const m = new Phi3Model(SMALL_PHI3, 1);
  const shapes = Object.fromEntries([...m.params].map(([k, v]) => [k, v.shape]));
  assert.deepEqual(shapes['model.embed_tokens.weight'], [40, 16]);
  assert.deepEqual(shapes['model.layers.1.self_attn.qkv_proj.weight'], [(4 + 2 * 2) * 4, 16]);
  assert.deepEqual(shapes['model.layers.0.mlp.gate_up_proj.weight'], [48, 16]);
  assert.deepEqual(shapes['model.norm.weight'], [16]);
  assert.deepEqual(shapes['lm_head.weight'], [40, 16]);
  assert.equal(m.params.size, 1 + 2 * 6 + 2);
  const padRow = m.embeddingMatrix().arraySync() as number[][];
  assert.ok(padRow[39]!.every((x) => x === 0), 'the pad_token_id row starts at zero (Embedding padding_idx)');
  m.dispose();
  const tied = new Phi3Model({ ...SMALL_PHI3, tieWordEmbeddings: true }, 1);
  assert.ok(!tied.params.has('lm_head.weight'));
  tied.dispose();
});

test('seeded: the same seed gives the same parameters, another seed other ones, and the layers differ from each other', async () => {
  await selectBackend('cpu');
  const [a, b, c] = [new Phi3Model(SMALL_PHI3, 5), new Phi3Model(SMALL_PHI3, 5), new Phi3Model(SMALL_PHI3, 6)];
  const w = (m: Phi3Model, k: string) => m.params.get(k)!.dataSync();
  assert.equal(maxAbsDiff(w(a, 'model.layers.1.mlp.down_proj.weight'), w(b, 'model.layers.1.mlp.down_proj.weight')), 0);
  assert.ok(maxAbsDiff(w(a, 'lm_head.weight'), w(c, 'lm_head.weight')) > 0);
  assert.ok(maxAbsDiff(w(a, 'model.layers.0.mlp.down_proj.weight'), w(a, 'model.layers.1.mlp.down_proj.weight')) > 0);
  for (const m of [a, b, c]) m.dispose();
  // For a checkpoint to overwrite: no random draws, Linear/Embedding 0, norms 1.
  const z = new Phi3Model(SMALL_PHI3, 5, { init: 'zeros' });
  for (const [k, v] of z.params) assert.ok(v.dataSync().every((x) => x === (k.endsWith('norm.weight') ? 1 : 0)), k);
  z.dispose();
});

test('a 2-layer model equals embedding, the golden-tested layer twice, RMSNorm and lm_head by hand (cpu and wasm)', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await selectBackend(backend);
    for (const tieWordEmbeddings of [false, true]) {
      const m = new Phi3Model({ ...SMALL_PHI3, tieWordEmbeddings }, 2);
      tf.tidy(() => {
        // Perturb the norms so a missing weight multiply would show.
        for (const [k, v] of m.params) if (k.endsWith('norm.weight')) v.assign(tf.add(v, tf.randomUniform(v.shape, -0.5, 0.5, 'float32', 3)));
        const tokens = [3, 17, 5, 8, 1, 22, 9, 39];
        const mask = Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0]);
        const got = m.forward(ids(tokens), 2, 4, { attentionMask: mask }).logits;
        const P = (k: string) => m.params.get(k)!;
        let x = tf.reshape(tf.gather(P('model.embed_tokens.weight'), ids(tokens)), [2, 4, 16]) as Tensor3D;
        x = m.layers[0]!.apply(x, mask).output;
        x = m.layers[1]!.apply(x, mask).output;
        const flat = tf.reshape(x, [8, 16]);
        const normed = tf.mul(P('model.norm.weight'), tf.div(flat, tf.sqrt(tf.add(tf.mean(tf.square(flat), 1, true), 1e-5))));
        const want = tf.matMul(normed, P(tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), false, true);
        assert.deepEqual(got.shape, [8, 40]);
        const d = maxAbsDiff(got.dataSync(), want.dataSync());
        assert.ok(d < 1e-5, `${backend} tied=${tieWordEmbeddings}: max |Δ| ${d}`);
      });
      m.dispose();
    }
  }
});

test("right padding: a padded row's real tokens get the logits they have alone, whatever the padding holds", async () => {
  await selectBackend('cpu');
  const m = new Phi3Model(SMALL_PHI3, 3);
  tf.tidy(() => {
    const alone = m.forward(ids([4, 11, 7]), 1, 3).logits.dataSync();
    const mask = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    for (const pad of [[39, 39], [2, 30]]) {
      const batch = m.forward(ids([1, 2, 3, 4, 5, 4, 11, 7, ...pad]), 2, 5, { attentionMask: mask }).logits;
      const real = tf.slice(batch, [5, 0], [3, 40]).dataSync();
      assert.ok(maxAbsDiff(real, alone) < 1e-5, `padding ${pad}: max |Δ| ${maxAbsDiff(real, alone)}`);
    }
    // LLaVA's splice gives padding position 0; explicit positions 0..len−1 change nothing for real tokens.
    const positions = Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2, 0, 0]);
    const withPos = m.forward(ids([1, 2, 3, 4, 5, 4, 11, 7, 39, 39]), 2, 5, { attentionMask: mask, positions }).logits;
    assert.ok(maxAbsDiff(tf.slice(withPos, [5, 0], [3, 40]).dataSync(), alone) < 1e-5);
  });
  m.dispose();
});

test('explicit position ids rotate q and k: shifted positions change the logits, arange equals the default', async () => {
  await selectBackend('cpu');
  const m = new Phi3Model(SMALL_PHI3, 4);
  tf.tidy(() => {
    const base = m.forward(ids([4, 11, 7]), 1, 3).logits.dataSync();
    const arange = m.forward(ids([4, 11, 7]), 1, 3, { positions: Int32Array.from([0, 1, 2]) }).logits.dataSync();
    const shifted = m.forward(ids([4, 11, 7]), 1, 3, { positions: Int32Array.from([5, 6, 7]) }).logits.dataSync();
    assert.equal(maxAbsDiff(base, arange), 0);
    // RoPE is relative: a constant shift changes the logits only by float rounding.
    assert.ok(maxAbsDiff(base, shifted) < 1e-4);
    const spread = m.forward(ids([4, 11, 7]), 1, 3, { positions: Int32Array.from([0, 3, 9]) }).logits.dataSync();
    assert.ok(maxAbsDiff(base, spread) > 1e-4, 'other relative positions, other logits');
  });
  m.dispose();
});

test('forwardEmbeddings (the VLM path) equals forward on the gathered rows, and gradients reach embed_tokens', async () => {
  await selectBackend('cpu');
  const m = new Phi3Model(SMALL_PHI3, 5);
  const tokens = [3, 17, 5, 8];
  tf.tidy(() => {
    const a = m.forward(ids(tokens), 1, 4).logits.dataSync();
    const h = tf.gather(m.embeddingMatrix(), ids(tokens)) as Tensor2D;
    const b = m.forwardEmbeddings(h, 1, 4, CTX);
    assert.equal(maxAbsDiff(a, b.logits.dataSync()), 0);
    assert.deepEqual(b.moe, []);
  });
  const { value, grads } = tf.variableGrads(() => tf.sum(m.forward(ids(tokens), 1, 4).logits) as tf.Scalar, [...m.params.values()]);
  const g = grads[m.embeddingMatrix().name]!;
  assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0);
  tf.dispose([value, ...Object.values(grads)]);
  m.dispose();
});

test('load refuses an unknown name, a wrong shape and (unless partial) a missing parameter, naming it', async () => {
  await selectBackend('cpu');
  const m = new Phi3Model(SMALL_PHI3, 6);
  const one = { shape: [16], data: new Float32Array(16) };
  assert.throws(() => m.load({ 'model.nrom.weight': one }, { partial: true }), /unknown parameter 'model\.nrom\.weight'/);
  assert.throws(() => m.load({ 'model.norm.weight': { shape: [15], data: new Float32Array(15) } }, { partial: true }), /'model\.norm\.weight' has shape \[15\], expected \[16\]/);
  assert.throws(() => m.load({ 'model.norm.weight': one }), /missing parameters 'model\.embed_tokens\.weight'/);
  m.load({ 'model.norm.weight': one }, { partial: true });
  assert.equal(m.params.get('model.norm.weight')!.dataSync()[0], 0);
  m.dispose();
});

test('a sliding window is refused where it would mask something (more than sliding_window + 1 tokens)', async () => {
  await selectBackend('cpu');
  const m = new Phi3Model({ ...SMALL_PHI3, slidingWindow: 4 }, 7);
  tf.tidy(() => {
    assert.deepEqual(m.forward(ids([1, 2, 3, 4, 5]), 1, 5).logits.shape, [5, 40]);
    assert.throws(() => m.forward(ids([1, 2, 3, 4, 5, 6]), 1, 6), /6 tokens exceed sliding_window 4 \+ 1/);
  });
  m.dispose();
});
