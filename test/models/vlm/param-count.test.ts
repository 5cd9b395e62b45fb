import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { expertKindFor, moeAlgorithms } from '../../../src/models/moe/registry.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { upcycleVlm } from '../../../src/models/vlm/model/upcycle-vlm.js';
import { COMPONENT_PREFIX } from '../../../src/models/vlm/model/vlm-config.js';
import { projectorParamCount, towerParamCount } from '../../../src/models/vlm/model/param-count.js';
import { TINY_VLM } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('cpu');
});

const under = (m: VisionLanguageModel, prefix: string): number => [...m.params].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v.size, 0);
const dimsOf = (m: VisionLanguageModel) => ({ mmHidden: m.config.tower.hidden, scales: m.config.tower.scales, llmHidden: m.languageModel.dModel });

test('the dense tower and mlp2x_gelu projector counts from the config are the built model\'s', () => {
  for (const scales of [[1], [1, 3]]) {
    const m = VisionLanguageModel.create({ ...TINY_VLM, tower: { ...TINY_VLM.tower, scales } });
    assert.equal(towerParamCount(m.config.tower), under(m, COMPONENT_PREFIX.tower));
    assert.equal(projectorParamCount(m.config.projector, dimsOf(m)), under(m, COMPONENT_PREFIX.projector));
    m.dispose();
  }
});

// The counts come from tiny-width instances extended to the real width; every router's own
// parameters (gates, embeddings, shared or special experts) must come out exactly.
for (const algorithm of moeAlgorithms().filter((a) => expertKindFor(a) === 'gelu-mlp')) {
  test(`an upcycled VLM's MoE tower and projector counts from the config are the built model's: ${algorithm}`, () => {
    const dense = VisionLanguageModel.create(TINY_VLM);
    const moe = upcycleVlm(dense, { algorithm, nExperts: 3, topK: 2, ...(algorithm === 'smoe_plus_plus' ? { projectorAlgorithm: 'smoe' } : {}) });
    assert.equal(towerParamCount(moe.config.tower), under(moe, COMPONENT_PREFIX.tower));
    assert.equal(projectorParamCount(moe.config.projector, dimsOf(moe)), under(moe, COMPONENT_PREFIX.projector));
    assert.ok(under(moe, COMPONENT_PREFIX.tower) > under(dense, COMPONENT_PREFIX.tower));
    dense.dispose();
    moe.dispose();
  });
}
