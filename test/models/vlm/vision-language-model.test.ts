import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D } from '../../../src/models/tf.js';
import { TransformerLM } from '../../../src/models/lm/transformer-lm.js';
import { embeddingLookup } from '../../../src/models/lm/embedding.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { shiftedTargets } from '../../../src/models/vlm/model/vlm-loss.js';
import { IGNORE_INDEX } from '../../../src/models/vlm/splice/constants.js';
import type { SplicePlan } from '../../../src/models/vlm/splice/plan.js';
import type { ImageTextBatch } from '../../../src/ops/items/image-text-batch.js';
import type { VlmBatch } from '../../../src/models/vlm/model/vlm-batch.js';
import { TINY_LM, TINY_P, TINY_VLM, tinyBatch } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const EVAL = { training: false, step: 0, totalSteps: 1 };

test('TransformerLM as a LanguageModel: the decoder over its own embeddings is forward, bit for bit', () => {
  const lm = new TransformerLM(TINY_LM);
  const ids = tf.tensor1d([1, 5, 7, 2, 3, 3, 9, 0], 'int32');
  const [a, b] = tf.tidy(() => {
    const direct = lm.forward(ids, 2, 4, EVAL).logits;
    const h = embeddingLookup(lm.embeddingMatrix(), ids);
    return [direct, lm.forwardEmbeddings(h, 2, 4, EVAL).logits];
  });
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.equal(lm.dModel, 16);
  assert.equal(lm.vocabSize, 12);
  tf.dispose([a, b, ids]);
  lm.dispose();
});

test('TransformerLM.forwardEmbeddings with explicit position ids 0…T−1 equals the default layout', () => {
  const lm = new TransformerLM(TINY_LM);
  const ids = tf.tensor1d([1, 5, 7, 2, 3, 3, 9, 0], 'int32');
  const [a, b] = tf.tidy(() => {
    const h = embeddingLookup(lm.embeddingMatrix(), ids);
    return [lm.forwardEmbeddings(h, 2, 4, EVAL).logits, lm.forwardEmbeddings(h, 2, 4, EVAL, { positions: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]) }).logits];
  });
  const d = (a.dataSync() as Float32Array).reduce((m, x, i) => Math.max(m, Math.abs(x - b.dataSync()[i]!)), 0);
  assert.ok(d < 1e-5, `${d}`);
  tf.dispose([a, b, ids]);
  lm.dispose();
});

test('parameters are named by component: vision_tower.…, mm_projector.…, language_model.… with HF/LibMoE names inside', () => {
  const m = VisionLanguageModel.create(TINY_VLM);
  const names = [...m.params.keys()];
  assert.ok(names.includes('vision_tower.vision_model.embeddings.class_embedding'));
  assert.ok(names.includes('vision_tower.vision_model.encoder.layers.1.mlp.fc2.weight'));
  assert.deepEqual(names.filter((n) => n.startsWith('mm_projector.')), ['mm_projector.0.weight', 'mm_projector.0.bias', 'mm_projector.2.weight', 'mm_projector.2.bias']);
  assert.ok(names.includes('language_model.embedding.weight'));
  assert.ok(names.every((n) => /^(vision_tower|mm_projector|language_model)\./.test(n)));
  // The projector maps the tower width (8) to the LM width (16).
  assert.deepEqual(m.params.get('mm_projector.0.weight')!.shape, [16, 8]);
  m.dispose();
});

test('forward: each <image> becomes P feature rows labelled −100; logits cover the spliced sequence', () => {
  const m = VisionLanguageModel.create(TINY_VLM);
  const batch = tinyBatch({ textRow: true });
  let fwd!: { logits: Tensor2D; plan: SplicePlan; images: number };
  tf.tidy(() => {
    const f = m.forward(batch, EVAL);
    fwd = { logits: tf.keep(f.logits), plan: f.plan, images: f.images };
  });
  const { plan } = fwd;
  // Image rows: 5 real tokens − 1 placeholder + P = 8; the text row 6: L' = 8.
  assert.equal(plan.seqLen, 5 - 1 + TINY_P);
  assert.deepEqual(fwd.logits.shape, [5 * plan.seqLen, 12]);
  assert.equal(fwd.images, 4);
  for (let r = 0; r < 4; r++) {
    const labels = Array.from(plan.labels!.subarray(r * plan.seqLen, (r + 1) * plan.seqLen));
    // BOS, then the P image rows, then Q, A, EOS.
    assert.deepEqual(labels, [IGNORE_INDEX, ...Array<number>(TINY_P).fill(IGNORE_INDEX), IGNORE_INDEX, batch.labels[r * 6 + 3]!, 11]);
  }
  // HF's shift: row t predicts label t + 1; per image row A and EOS, the text row 5 tokens.
  const { rows, targets } = shiftedTargets(plan.labels!, plan.batchSize, plan.seqLen);
  assert.equal(rows.length, 4 * 2 + 5);
  assert.deepEqual(Array.from(targets.subarray(0, 2)), [8, 11]);
  assert.deepEqual(Array.from(rows.subarray(0, 2)), [1 + TINY_P, 2 + TINY_P]);
  fwd.logits.dispose();
  m.dispose();
});

test('image features change the logits at the answer position, and not before the image', () => {
  const m = VisionLanguageModel.create(TINY_VLM);
  const [a, b] = tf.tidy(() => [m.forward(tinyBatch({ classes: [0] }), EVAL).logits, m.forward(tinyBatch({ classes: [1] }), EVAL).logits] as Tensor2D[]);
  const va = a.arraySync();
  const vb = b.arraySync();
  assert.deepEqual(va[0], vb[0], 'BOS does not see the image');
  assert.notDeepEqual(va[1 + TINY_P], vb[1 + TINY_P], 'the question row sees it');
  tf.dispose([a, b]);
  m.dispose();
});

test('S² (scales [1, 2]) and a SigLIP tower: the projector reads mm_hidden·2 channels, every image still becomes P rows', () => {
  const cfg = { ...TINY_VLM, tower: { ...TINY_VLM.tower, arch: 'siglip' as const, activation: 'gelu_pytorch_tanh' as const, scales: [1, 2] } };
  const m = VisionLanguageModel.create(cfg);
  assert.deepEqual(m.params.get('mm_projector.0.weight')!.shape, [16, 16]);
  assert.ok(!m.params.has('vision_tower.vision_model.embeddings.class_embedding'));
  const seqLen = tf.tidy(() => m.forward(tinyBatch(), EVAL).plan.seqLen);
  assert.equal(seqLen, 5 - 1 + TINY_P);
  m.dispose();
});

test('another decoder plugs in through LanguageModel: an { arch, config } language model is built by the given builder', () => {
  const cfg = { ...TINY_VLM, languageModel: { arch: 'test-decoder', config: null } };
  assert.throws(() => VisionLanguageModel.create(cfg), /arch 'test-decoder' needs a LanguageModelBuilder/);
  const m = VisionLanguageModel.create(cfg, () => new TransformerLM(TINY_LM));
  const ref = VisionLanguageModel.create(TINY_VLM);
  const [a, b] = tf.tidy(() => [m.forward(tinyBatch(), EVAL).logits, ref.forward(tinyBatch(), EVAL).logits] as Tensor2D[]);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([a, b]);
  m.dispose();
  ref.dispose();
});

test('the data plane\'s ImageTextBatch is a VlmBatch (checked at compile time); a wrong image size is refused by name', () => {
  const fromDataPlane = (b: ImageTextBatch): VlmBatch => b;
  assert.equal(typeof fromDataPlane, 'function');
  const m = VisionLanguageModel.create(TINY_VLM);
  const bad: VlmBatch = { ...tinyBatch(), imageShape: [3, 16, 16] };
  assert.throws(() => tf.tidy(() => { m.forward(bad, EVAL); }), /images are \[3, 16, 16\], the tower takes \[3, 8, 8\]/);
  m.dispose();
});
