/**
 * The golden towers and Phi-3 layer (test/golden, README §9.3: transformers' own outputs)
 * reached through the HF folder path: each case's parameters are written as a CLIPVisionModel /
 * SiglipVisionModel / Phi3ForCausalLM folder, loaded with the HF loader, and must reproduce
 * transformers' features and layer output within the golden tolerances.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../../../src/models/tf.js';
import type { HostParam } from '../../../src/models/checkpoint/named-params.js';
import { loadHfVisionTower } from '../../../src/models/checkpoint/hf/load-vision-tower.js';
import { loadHfPhi3 } from '../../../src/models/checkpoint/hf/load-phi3.js';
import { writeHfCheckpoint } from '../../../src/models/checkpoint/hf/write-folder.js';
import { goldenDir } from '../../golden/golden-format.js';
import { closeTensor } from '../../golden/compare.js';
import { float32, listModelCases, values, type EncodedTensor, type ModelCase } from '../../golden/model/model-case.js';
import { input } from '../../golden/model/runner-support.js';
import { MODEL_FORWARD } from '../../golden/model/tolerances.js';
import { towerConfigOf } from '../../golden/model/tower-runner.js';
import { phi3Config } from '../../golden/model/phi3-runner.js';
import { clipVisionModelJson, phi3ConfigJson, withTmpDir } from './hf-fixtures.js';

const CTX = { training: false, step: 0, totalSteps: 1 };
const { dir: golden } = goldenDir();
const cases = listModelCases(golden);
const towers = cases.filter((c) => c.kind === 'clip_tower' || c.kind === 'siglip_tower');
const phi3Layers = cases.filter((c) => c.kind === 'phi3_decoder_layer');

function paramsOf(c: ModelCase, prefix = ''): Map<string, HostParam> {
  return new Map(Object.entries(c.params).map(([k, t]) => [prefix + k, { shape: t.shape, data: float32(t) }]));
}

function expectedTensor(c: ModelCase, key: string): EncodedTensor {
  return c.expected[key] as unknown as EncodedTensor;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] golden CLIP/SigLIP towers written as HF folders load and give transformers' features`, { skip: towers.length === 0 ? `no tower cases in ${golden}` : false }, async () => {
    await selectBackend(backend);
    for (const c of towers) {
      const cfg = towerConfigOf(c);
      await withTmpDir(async (dir) => {
        await writeHfCheckpoint(dir, { config: clipVisionModelJson(cfg), tensors: paramsOf(c) });
        const { tower, config } = await loadHfVisionTower(dir, { scales: cfg.scales });
        assert.deepEqual(config, cfg);
        const px = input(c, 'pixel_values');
        const [features, embeddings] = tf.tidy(() => {
          const fw = tower.forward(tf.tensor(float32(px), px.shape as [number, number, number, number], 'float32') as Tensor4D, CTX);
          return [fw.features.dataSync(), fw.calls[0]!.embeddings.dataSync()];
        });
        for (const [name, got] of [['features', features!], ['embeddings', embeddings!]] as const) {
          const check = closeTensor(`${c.id} ${name}`, got, values(expectedTensor(c, name)), MODEL_FORWARD);
          assert.ok(check.ok, `${check.name}: ${check.detail}`);
        }
        tower.dispose();
      });
    }
  });
}

test("golden Phi-3 layers as one-layer Phi3ForCausalLM folders: logits = transformers' layer output after RMSNorm and an identity head", { skip: phi3Layers.length === 0 ? `no phi3 cases in ${golden}` : false }, async () => {
  await selectBackend('cpu');
  for (const c of phi3Layers) {
    const layer = phi3Config(c);
    const d = layer.hidden;
    const model = { ...layer, vocabSize: d, layers: 1, tieWordEmbeddings: false, padTokenId: null, slidingWindow: null };
    const identity = Float32Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));
    const tensors = new Map<string, HostParam>([
      ['model.embed_tokens.weight', { shape: [d, d], data: identity }],
      ...paramsOf(c, 'model.layers.0.'),
      ['model.norm.weight', { shape: [d], data: new Float32Array(d).fill(1) }],
      ['lm_head.weight', { shape: [d, d], data: identity }],
    ]);
    await withTmpDir(async (dir) => {
      await writeHfCheckpoint(dir, { config: phi3ConfigJson(model), tensors, shards: 2 });
      const { model: lm, config } = await loadHfPhi3(dir);
      assert.deepEqual(config, model);
      const h = input(c, 'hidden_states');
      const [b, t] = h.shape as [number, number, number];
      const mask = Uint8Array.from(values(input(c, 'attention_mask')));
      const got = tf.tidy(() => lm.forwardEmbeddings(tf.tensor2d(float32(h), [b * t, d]) as Tensor2D, b, t, CTX, { attentionMask: mask }).logits.dataSync());
      // RMSNorm (weight 1) of transformers' layer output, in float64.
      const out = values(expectedTensor(c, 'output'));
      const want = new Float64Array(out.length);
      for (let r = 0; r < b * t; r++) {
        const row = out.subarray(r * d, (r + 1) * d);
        const inv = 1 / Math.sqrt(row.reduce((a, x) => a + x * x, 0) / d + layer.rmsNormEps);
        for (let i = 0; i < d; i++) want[r * d + i] = row[i]! * inv;
      }
      const check = closeTensor(`${c.id} logits`, got, want, MODEL_FORWARD);
      assert.ok(check.ok, `${check.name}: ${check.detail}`);
      lm.dispose();
    });
  }
});
