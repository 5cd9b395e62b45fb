/**
 * A VLM step's routing statistics per component (issue 10 "Statistics"): a decoder MoE block
 * reports its image-feature rows and its text rows apart, padding in neither.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { VlmTrainer } from '../../../src/models/vlm/model/vlm-trainer.js';
import type { VlmConfig } from '../../../src/models/vlm/model/vlm-config.js';
import { TINY_LM, TINY_P, TINY_VLM, textOnlyBatch, tinyBatch } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('cpu');
});

const MOE_LM: VlmConfig = {
  ...TINY_VLM,
  languageModel: { ...TINY_LM, nLayers: 2, ffn: { kind: 'moe', algorithm: 'smoe', nExperts: 4, topK: 2, expertSize: 8, options: {} } },
};
const TRAIN = { lr: 1e-3, warmupSteps: 0, totalSteps: 10, minLrMultiplier: 0.1, gradClip: 1, trainable: ['*'] };

test('a decoder MoE block reports its image-feature rows and its text rows apart; padding counts in neither', async () => {
  const model = VisionLanguageModel.create(MOE_LM);
  const t = new VlmTrainer(model, TRAIN);
  // 4 image rows (BOS <image> Q A EOS, one padding position) and a text row of 6: spliced to
  // 8 rows each, 4 images × P feature rows, 4 × 4 + 6 text rows, the rest padding.
  const r = await t.trainStep(tinyBatch({ textRow: true }));
  const lm = r.routing.languageModel;
  assert.deepEqual(lm.map((s) => [s.layer, s.modality, s.tokens]), [[0, 'image', 4 * TINY_P], [0, 'text', 4 * 4 + 6], [1, 'image', 4 * TINY_P], [1, 'text', 4 * 4 + 6]]);
  assert.equal(r.tokens, 4 * TINY_P + 4 * 4 + 6, 'image and text rows together are the step\'s real rows');
  for (const s of lm) {
    assert.equal(s.tokenSlots.reduce((a, b) => a + b, 0), s.tokens * 2, `layer ${s.layer} ${s.modality}: K slots per token`);
    assert.equal(s.top1Count.reduce((a, b) => a + b, 0), s.tokens);
    assert.ok(Math.abs(s.probMass.reduce((a, b) => a + b, 0) - s.tokens) < 1e-3, 'router probabilities of its own tokens');
    assert.equal(s.selected.length, s.tokens * 2);
    assert.equal(s.gates.length, s.tokens * 2);
  }
  // A text-only step has no image rows: only the text entries.
  const txt = await t.trainStep(textOnlyBatch());
  assert.deepEqual(txt.routing.languageModel.map((s) => [s.layer, s.modality, s.tokens]), [[0, 'text', 8], [1, 'text', 8]]);
  // The split adds no tensors that outlive the step.
  const live = tf.memory().numTensors;
  await t.trainStep(tinyBatch({ textRow: true }));
  assert.equal(tf.memory().numTensors, live, 'no tensor leaks');
  t.dispose();
  model.dispose();
});
