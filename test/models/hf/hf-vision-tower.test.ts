/**
 * CLIP / SigLIP towers from HuggingFace checkpoint folders the tests write in HF's layout:
 * the loaded tower computes the features of the tower whose weights were written, whatever
 * else the folder holds (text tower, heads, buffers), and in every stored float dtype.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor4D } from '../../../src/models/tf.js';
import { VisionTower } from '../../../src/models/vlm/tower/vision-tower.js';
import { readNamedParams } from '../../../src/models/checkpoint/named-params.js';
import { loadHfVisionTower } from '../../../src/models/checkpoint/hf/load-vision-tower.js';
import { writeHfCheckpoint } from '../../../src/models/checkpoint/hf/write-folder.js';
import { clipVisionModelJson, dualModelJson, extraVisionTensors, perturb, positionIdsI64, towerConfig, visionConfigJson, withTmpDir } from './hf-fixtures.js';

const CTX = { training: false, step: 0, totalSteps: 1 };

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** The written tower's and the loaded tower's features on the same pixels. */
function sameFeatures(a: VisionTower, b: VisionTower): number {
  return tf.tidy(() => {
    const px = tf.randomNormal([2, 3, 16, 16], 0, 1, 'float32', 9) as Tensor4D;
    return maxAbsDiff(a.forward(px, CTX).features, b.forward(px, CTX).features);
  });
}

test('a CLIPVisionModel folder (F32, with the I64 position_ids buffer and post_layernorm) loads into a tower with the same features', async () => {
  await selectBackend('cpu');
  const cfg = towerConfig('clip');
  const src = VisionTower.create(cfg, 1);
  perturb(src.variables, 100);
  await withTmpDir(async (dir) => {
    const tensors = new Map([...readNamedParams(src.variables), ...extraVisionTensors(cfg, false)]);
    await writeHfCheckpoint(dir, { config: clipVisionModelJson(cfg), tensors, raw: new Map([['vision_model.embeddings.position_ids', positionIdsI64(17)]]) });
    const { tower, config, modelType, report } = await loadHfVisionTower(dir);
    assert.equal(modelType, 'clip_vision_model');
    assert.deepEqual(config, cfg);
    assert.deepEqual(report.ignored, ['vision_model.embeddings.position_ids', 'vision_model.post_layernorm.bias', 'vision_model.post_layernorm.weight']);
    assert.deepEqual(report.defaulted, []);
    assert.deepEqual(report.dtypes, { F32: src.variables.size });
    for (const [k, v] of src.variables) assert.equal(maxAbsDiff(v, tower.variables.get(k)!), 0, k);
    assert.equal(sameFeatures(src, tower), 0);
    tower.dispose();
  });
  src.dispose();
});

test('the vision half of a full CLIPModel and of a SiglipModel (BF16, vision_config with defaults left out) loads; text tower and heads are listed as ignored', async () => {
  await selectBackend('cpu');
  for (const [arch, dtype] of [['clip', 'F16'], ['siglip', 'BF16']] as const) {
    const cfg = towerConfig(arch);
    const src = VisionTower.create(cfg, 2);
    perturb(src.variables, 200, dtype);
    await withTmpDir(async (dir) => {
      // SigLIP's hub configs omit keys equal to SiglipVisionConfig's defaults (hidden_act, layer_norm_eps).
      const vision = visionConfigJson(cfg);
      if (arch === 'siglip') {
        delete vision['hidden_act'];
        delete vision['layer_norm_eps'];
      }
      const extra = extraVisionTensors(cfg, true);
      await writeHfCheckpoint(dir, { config: dualModelJson(cfg, vision), tensors: new Map([...readNamedParams(src.variables), ...extra]), dtype });
      const { tower, config, report } = await loadHfVisionTower(dir, { scales: [1, 2] });
      assert.deepEqual(config, { ...cfg, scales: [1, 2] });
      assert.deepEqual(report.ignored, [...extra.keys()].sort(), `${arch}: everything outside the tower is ignored and listed`);
      if (arch === 'siglip') assert.deepEqual(report.defaulted, ['vision_config.hidden_act = "gelu_pytorch_tanh"', 'vision_config.layer_norm_eps = 0.000001']);
      assert.deepEqual(report.dtypes, { [dtype]: src.variables.size });
      const wide = VisionTower.create({ ...cfg, scales: [1, 2] }, 3);
      wide.load(Object.fromEntries(readNamedParams(src.variables)));
      assert.equal(sameFeatures(wide, tower), 0, `${arch} ${dtype}: S² features of the written weights`);
      wide.dispose();
      tower.dispose();
    });
    src.dispose();
  }
});
