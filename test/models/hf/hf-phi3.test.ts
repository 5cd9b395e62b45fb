/**
 * Phi-3 decoders from HuggingFace checkpoint folders the tests write in HF's layout: one file
 * or two shards with `model.safetensors.index.json`, F32 or BF16 (Phi-3's own dtype), tied or
 * not; the loaded model reproduces the logits of the model whose weights were written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { Phi3Model } from '../../../src/models/phi3/model.js';
import type { Phi3ModelConfig } from '../../../src/models/phi3/model-config.js';
import { readNamedParams } from '../../../src/models/checkpoint/named-params.js';
import { loadHfPhi3 } from '../../../src/models/checkpoint/hf/load-phi3.js';
import { writeHfCheckpoint } from '../../../src/models/checkpoint/hf/write-folder.js';
import { perturb, PHI3, phi3ConfigJson, withTmpDir } from './hf-fixtures.js';

/** Logits of a right-padded batch long enough (10 > original_max 8) to use the long factors. */
function logits(m: Phi3Model): Float32Array {
  return tf.tidy(() => {
    const ids = tf.tensor1d([...Array.from({ length: 10 }, (_, i) => (i * 7) % 40), 5, 9, 13, 0, 0, 0, 0, 0, 0, 0], 'int32');
    const mask = Uint8Array.from([...Array(10).fill(1), 1, 1, 1, ...Array(7).fill(0)]);
    return m.forward(ids, 2, 10, { attentionMask: mask }).logits.dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('a Phi-3 folder in two shards with model.safetensors.index.json (BF16, as Phi-3 ships) loads into a model with the same logits', async () => {
  await selectBackend('cpu');
  const src = new Phi3Model(PHI3, 1);
  perturb(src.params, 300, 'BF16');
  await withTmpDir(async (dir) => {
    await writeHfCheckpoint(dir, { config: phi3ConfigJson(PHI3), tensors: readNamedParams(src.params), dtype: 'BF16', shards: 2 });
    assert.deepEqual((await readdir(dir)).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    const { model, config, report } = await loadHfPhi3(dir);
    assert.deepEqual(config, PHI3);
    assert.equal(report.files.length, 2);
    assert.deepEqual(report.ignored, []);
    assert.deepEqual(report.dtypes, { BF16: src.params.size });
    for (const [k, v] of src.params) assert.equal(maxAbsDiff(v.dataSync(), model.params.get(k)!.dataSync()), 0, k);
    assert.equal(maxAbsDiff(logits(src), logits(model)), 0);
    model.dispose();
  });
  src.dispose();
});

test('a tied Phi-3 folder (one F16 file) ignores a stored lm_head.weight and uses embed_tokens as the head; absent keys take Phi3Config defaults', async () => {
  await selectBackend('cpu');
  const tied: Phi3ModelConfig = { ...PHI3, tieWordEmbeddings: true, ropeScaling: null, originalMaxPositionEmbeddings: 4096, maxPositionEmbeddings: 4096, padTokenId: 32000 };
  const src = new Phi3Model(tied, 2);
  perturb(src.params, 400, 'F16');
  await withTmpDir(async (dir) => {
    const json = phi3ConfigJson(tied);
    for (const k of ['hidden_act', 'rope_theta', 'rms_norm_eps', 'original_max_position_embeddings', 'max_position_embeddings', 'pad_token_id', 'rope_scaling']) delete json[k];
    const tensors = readNamedParams(src.params);
    tensors.set('lm_head.weight', { shape: [40, 16], data: new Float32Array(640).fill(3) });
    await writeHfCheckpoint(dir, { config: json, tensors, dtype: 'F16' });
    const { model, config, report } = await loadHfPhi3(dir);
    assert.deepEqual(config, tied);
    assert.deepEqual(report.ignored, ['lm_head.weight']);
    assert.deepEqual(report.defaulted, ['hidden_act = "silu"', 'max_position_embeddings = 4096', 'rms_norm_eps = 0.00001', 'rope_theta = 10000', 'original_max_position_embeddings = 4096', 'pad_token_id = 32000']);
    assert.equal(maxAbsDiff(logits(src), logits(model)), 0);
    model.dispose();
  });
  src.dispose();
});

test('without an index every *.safetensors of the folder is read; a parameter in two files is refused, naming both', async () => {
  await selectBackend('cpu');
  const src = new Phi3Model(PHI3, 3);
  await withTmpDir(async (dir) => {
    await writeHfCheckpoint(dir, { config: phi3ConfigJson(PHI3), tensors: readNamedParams(src.params), shards: 2 });
    await rm(join(dir, 'model.safetensors.index.json'));
    const { model, report } = await loadHfPhi3(dir);
    assert.deepEqual(report.files, [join(dir, 'model-00001-of-00002.safetensors'), join(dir, 'model-00002-of-00002.safetensors')]);
    assert.equal(maxAbsDiff(logits(src), logits(model)), 0);
    model.dispose();
    await copyFile(join(dir, 'model-00002-of-00002.safetensors'), join(dir, 'extra.safetensors'));
    await assert.rejects(loadHfPhi3(dir), /model-00002-of-00002\.safetensors: parameter '[^']+' is also in .*extra\.safetensors/);
  });
  src.dispose();
});
