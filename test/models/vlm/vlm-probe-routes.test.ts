/**
 * The VLM probe pass of `pipeline analyze`: each component's routes over its own tokens (CLIP
 * class token and S² crops in the tower, P rows per image in the projector, the spliced rows of
 * an MoE decoder), a text-only row's zero image left out, routes independent of how the probe is
 * batched, answer log-probabilities on the supervised positions only, and DropTop that leaves
 * the first layer's routes alone while changing the answers' probabilities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { probeVlmRoutes, VisionLanguageModel, type VlmConfig } from '../../../src/models/vlm/index.js';
import { tinyBatch, TINY_LM, TINY_P, TINY_VLM } from './vlm-fixtures.js';

const MOE = { algorithm: 'smoe', nExperts: 4, topK: 2 };
const CONFIG: VlmConfig = {
  ...TINY_VLM,
  tower: { ...TINY_VLM.tower, scales: [1, 2], moe: MOE },
  projector: { kind: 'moe', ...MOE },
  languageModel: { ...TINY_LM, ffn: { kind: 'moe', algorithm: 'smoe', nExperts: 4, topK: 2, expertSize: 8 } },
  textOnlyRows: 'zero-image',
};
/** CLIP: (8/4)² patches + the class token per tower input; S² scale 2 adds 2² crops of the same size. */
const T = TINY_P + 1;
const VISION_PER_IMAGE = T + 4 * T;

test('every component routes its own tokens; the zero image of a text-only row is not a probe image', async () => {
  await selectBackend('cpu');
  const model = VisionLanguageModel.create(CONFIG);
  try {
    const batch = tinyBatch({ textRow: true });
    const images = batch.imageRows.length;
    const r = await probeVlmRoutes(model, [batch]);
    assert.equal(r.rows, batch.batchSize);
    assert.deepEqual(r.layers.map((l) => `${l.component} ${l.layer} ${l.tokens}`), [
      `vision 0 ${images * VISION_PER_IMAGE}`, `vision 1 ${images * VISION_PER_IMAGE}`, `projector 0 ${images * TINY_P}`, `language_model 0 ${r.spaces.language_model.tokens}`,
    ]);
    // Vision positions run over the full image's tokens, then its crops'.
    assert.deepEqual([...new Set(r.spaces.vision.id)].sort((a, b) => a - b), Array.from({ length: VISION_PER_IMAGE }, (_, i) => i));
    assert.deepEqual([...new Set(r.spaces.vision.row)], [...batch.imageRows]);
    // Decoder: every real row of the spliced batch; an image becomes P image rows, whose id is −1.
    const real = batch.attentionMask.reduce((n, x) => n + x, 0);
    const lm = r.spaces.language_model;
    assert.equal(lm.tokens, real - images + images * TINY_P);
    assert.equal(lm.image!.reduce((n, x) => n + x, 0), images * TINY_P);
    lm.id.forEach((id, t) => assert.equal(id < 0, lm.image![t] === 1));
    // Answer log-probabilities where the next label is supervised (−100 elsewhere).
    let supervised = 0;
    for (let b = 0; b < batch.batchSize; b++) for (let t = 1; t < batch.seqLen; t++) if (batch.labels[b * batch.seqLen + t]! !== -100) supervised++;
    assert.equal(r.answerLogprob.filter((x) => !Number.isNaN(x)).length, supervised);
    assert.ok(r.answerLogprob.every((x) => Number.isNaN(x) || x < 0));
    for (const l of r.layers) assert.ok(l.selected.every((e) => e >= 0 && e < l.experts), `${l.component} ${l.layer}`);
  } finally {
    model.dispose();
  }
});

test('routes do not depend on how the probe is batched; DropTop keeps the first layer\'s routes and changes the answers\' probabilities', async () => {
  await selectBackend('cpu');
  const model = VisionLanguageModel.create(CONFIG);
  try {
    const whole = await probeVlmRoutes(model, [tinyBatch({ classes: [0, 1, 1, 0] })]);
    const split = await probeVlmRoutes(model, [tinyBatch({ classes: [0, 1] }), tinyBatch({ classes: [1, 0], variant: 2 })]);
    assert.equal(split.rows, whole.rows);
    whole.layers.forEach((l, i) => {
      const s = split.layers[i]!;
      assert.deepEqual([s.component, s.layer, s.tokens], [l.component, l.layer, l.tokens]);
      assert.deepEqual(s.selected, l.selected, `${l.component} ${l.layer}`);
      l.weights.forEach((w, j) => assert.ok(Math.abs(w - s.weights[j]!) < 1e-5));
    });
    assert.deepEqual(split.spaces.language_model.row, whole.spaces.language_model.row);
    const ablated = await probeVlmRoutes(model, [tinyBatch({ classes: [0, 1, 1, 0] })], { dropTop: 1 });
    assert.deepEqual(ablated.layers[0]!.selected, whole.layers[0]!.selected, 'the first vision layer routes the unablated embeddings');
    const changed = whole.answerLogprob.some((x, i) => !Number.isNaN(x) && Math.abs(x - ablated.answerLogprob[i]!) > 1e-6);
    assert.ok(changed, 'DropTop-1 changes the answer log-probabilities');
    // Evaluation changes nothing: the same probe again gives the same routes.
    const again = await probeVlmRoutes(model, [tinyBatch({ classes: [0, 1, 1, 0] })]);
    again.layers.forEach((l, i) => assert.deepEqual(l.selected, whole.layers[i]!.selected));
  } finally {
    model.dispose();
  }
});
