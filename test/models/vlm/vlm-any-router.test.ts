import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { expertKindFor, moeAlgorithms } from '../../../src/models/moe/registry.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { upcycleVlm } from '../../../src/models/vlm/model/upcycle-vlm.js';
import { VlmTrainer } from '../../../src/models/vlm/model/vlm-trainer.js';
import { TINY_VLM, tinyBatch } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

/** The VLM routers: those whose experts are LibMoE's VLM GELU MLPs. */
const VLM_ROUTERS = moeAlgorithms().filter((a) => expertKindFor(a) === 'gelu-mlp');

/**
 * Routers whose combine weights sum to 1 over identical experts, so the upcycled VLM computes
 * the dense one. Not: ReMoE (ReLU gates, all zero for a token under a tiny router), TC-MoE
 * (ternary slots), MoE++ (zero/copy/constant experts).
 */
const DENSE_AT_START = new Set(['smoe', 'smoe_sigmoidgating', 'xmoe', 'smoe_share', 'smoe_sharev3', 'smoe_cosinegating', 'smoe_perturbed', 'smoe_sigmoidgating_v1', 'hyperrouter']);

test('the registry has VLM routers to test', () => {
  assert.ok(VLM_ROUTERS.length >= 10, VLM_ROUTERS.join(', '));
});

for (const algorithm of VLM_ROUTERS) {
  test(`every VLM router can be the tower's and the projector's MoE: ${algorithm}`, async () => {
    const dense = VisionLanguageModel.create(TINY_VLM);
    const batch = tinyBatch({ textRow: true });
    // MoE++'s copy/constant experts map D → D: its projector stays an SMoE.
    const moe = upcycleVlm(dense, { algorithm, ...(algorithm === 'smoe_plus_plus' ? { projectorAlgorithm: 'smoe' } : {}) });
    const eval0 = { training: false, step: 0, totalSteps: 1 };
    const [a, b] = tf.tidy(() => [dense.forward(batch, eval0).logits.dataSync() as Float32Array, moe.forward(batch, eval0).logits.dataSync() as Float32Array]);
    const diff = a!.reduce((m, x, i) => Math.max(m, Math.abs(x - b![i]!)), 0);
    if (DENSE_AT_START.has(algorithm)) assert.ok(diff < 1e-5, `max |Δlogit| ${diff}`);
    const t = new VlmTrainer(moe, { lr: 1e-3, warmupSteps: 0, totalSteps: 4, minLrMultiplier: 0.1, gradClip: 1, trainable: ['*'] });
    const r = [await t.trainStep(batch), await t.trainStep(batch)];
    assert.ok(r.every((x) => Number.isFinite(x.loss)));
    assert.ok('auxiliary_loss_clip' in r[1]!.aux && 'auxiliary_loss_mlp' in r[1]!.aux, Object.keys(r[1]!.aux).join(', '));
    t.dispose();
    moe.dispose();
    dense.dispose();
  });
}
