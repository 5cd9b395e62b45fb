/**
 * A wrong checkpoint folder is refused before a model is built from it, and the error names
 * the file and the key: a missing parameter, an unexpected shape, an unsupported dtype, a
 * config key missing or with a value moeflow cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { Phi3Model } from '../../../src/models/phi3/model.js';
import { VisionTower } from '../../../src/models/vlm/tower/vision-tower.js';
import { readNamedParams, type HostParam } from '../../../src/models/checkpoint/named-params.js';
import { loadHfPhi3 } from '../../../src/models/checkpoint/hf/load-phi3.js';
import { loadHfVisionTower } from '../../../src/models/checkpoint/hf/load-vision-tower.js';
import { writeHfCheckpoint } from '../../../src/models/checkpoint/hf/write-folder.js';
import type { RawTensor } from '../../../src/models/checkpoint/hf/safetensors-file.js';
import { clipVisionModelJson, dualModelJson, PHI3, phi3ConfigJson, towerConfig, withTmpDir } from './hf-fixtures.js';

type Json = Record<string, unknown>;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Edit {
  readonly json?: (j: Json) => void;
  readonly tensors?: (t: Map<string, HostParam>) => void;
  readonly raw?: ReadonlyMap<string, RawTensor>;
  readonly shards?: number;
}

async function phi3Folder(dir: string, edit: Edit = {}): Promise<void> {
  const m = new Phi3Model(PHI3, 1);
  const tensors = readNamedParams(m.params);
  m.dispose();
  const json = phi3ConfigJson(PHI3);
  edit.json?.(json);
  edit.tensors?.(tensors);
  await writeHfCheckpoint(dir, { config: json, tensors, ...(edit.raw ? { raw: edit.raw } : {}), ...(edit.shards ? { shards: edit.shards } : {}) });
}

async function clipFolder(dir: string, edit: Edit = {}, dual = false): Promise<void> {
  const cfg = towerConfig('clip');
  const t = VisionTower.create(cfg, 1);
  const tensors = readNamedParams(t.variables);
  t.dispose();
  const json = dual ? dualModelJson(cfg) : clipVisionModelJson(cfg);
  edit.json?.(json);
  edit.tensors?.(tensors);
  await writeHfCheckpoint(dir, { config: json, tensors, ...(edit.raw ? { raw: edit.raw } : {}) });
}

/** Every case must leave no tensor behind: a refused load disposes what it built. */
async function refuses(load: () => Promise<unknown>, message: RegExp): Promise<void> {
  const live = tf.memory().numTensors;
  await assert.rejects(load, message);
  assert.equal(tf.memory().numTensors, live, 'nothing built is left behind');
}

test('a missing parameter names the safetensors file (or the index of a sharded folder) and the key', async () => {
  await selectBackend('cpu');
  await withTmpDir(async (dir) => {
    await clipFolder(dir, { tensors: (t) => t.delete('vision_model.encoder.layers.1.mlp.fc2.bias') });
    await refuses(() => loadHfVisionTower(dir), new RegExp(`^Error: ${esc(join(dir, 'model.safetensors'))}: missing parameter 'vision_model\\.encoder\\.layers\\.1\\.mlp\\.fc2\\.bias'$`));
  });
  await withTmpDir(async (dir) => {
    await phi3Folder(dir, { shards: 2, tensors: (t) => t.delete('lm_head.weight') });
    await refuses(() => loadHfPhi3(dir), new RegExp(`${esc(join(dir, 'model.safetensors.index.json'))}: missing parameter 'lm_head\\.weight'`));
  });
});

test('an unexpected shape names the shard holding the parameter and the key', async () => {
  await selectBackend('cpu');
  await withTmpDir(async (dir) => {
    await phi3Folder(dir, { shards: 2, tensors: (t) => t.set('model.norm.weight', { shape: [15], data: new Float32Array(15) }) });
    await refuses(() => loadHfPhi3(dir), new RegExp(`${esc(join(dir, 'model-00002-of-00002.safetensors'))}: parameter 'model\\.norm\\.weight' has shape \\[15\\], the model expects \\[16\\]`));
  });
});

test('an unsupported dtype names the file and the key; an unused I64 buffer is not read at all', async () => {
  await selectBackend('cpu');
  await withTmpDir(async (dir) => {
    const f64 = new Uint8Array(12 * 8);
    await clipFolder(dir, {
      tensors: (t) => t.delete('vision_model.embeddings.class_embedding'),
      raw: new Map([['vision_model.embeddings.class_embedding', { dtype: 'F64', shape: [12], bytes: f64 }]]),
    });
    await refuses(() => loadHfVisionTower(dir), new RegExp(`${esc(join(dir, 'model.safetensors'))}: parameter 'vision_model\\.embeddings\\.class_embedding' has dtype F64; F32, F16, BF16 are read`));
  });
});

test('a config key missing, of the wrong type or unsupported names config.json and the key path', async () => {
  await selectBackend('cpu');
  const cases: [string, (dir: string) => Promise<void>, (dir: string) => Promise<unknown>, string][] = [
    ['no model_type', (d) => phi3Folder(d, { json: (j) => delete j['model_type'] }), loadHfPhi3, `config key 'model_type' is missing`],
    ['not Phi-3', (d) => phi3Folder(d, { json: (j) => (j['model_type'] = 'llama') }), loadHfPhi3, `config key 'model_type' is 'llama'; a Phi-3 checkpoint has 'phi3'`],
    ['Phi-3 activation', (d) => phi3Folder(d, { json: (j) => (j['hidden_act'] = 'gelu') }), loadHfPhi3, `config key 'hidden_act' is 'gelu'`],
    ['yarn', (d) => phi3Folder(d, { json: (j) => (j['rope_scaling'] = { type: 'yarn', factor: 2 }) }), loadHfPhi3, `config key 'rope_scaling.type' is 'yarn'`],
    ['longrope without long factors', (d) => phi3Folder(d, { json: (j) => (j['rope_scaling'] = { type: 'longrope', short_factor: [1, 1] }) }), loadHfPhi3, `config key 'rope_scaling.long_factor' is missing`],
    ['longrope factors of the wrong length', (d) => phi3Folder(d, { json: (j) => (j['rope_scaling'] = { type: 'longrope', short_factor: [1], long_factor: [1] }) }), loadHfPhi3, `phi3: rope_scaling shortFactor has 1 factors, head_dim / 2 = 2`],
    ['a size as a string', (d) => phi3Folder(d, { json: (j) => (j['hidden_size'] = '16') }), loadHfPhi3, `config key 'hidden_size' must be a number, got "16"`],
    ['vision activation', (d) => clipFolder(d, { json: (j) => ((j['vision_config'] as Json)['hidden_act'] = 'gelu_new') }, true), loadHfVisionTower, `config key 'vision_config.hidden_act' is 'gelu_new'; supported: gelu, quick_gelu, gelu_pytorch_tanh`],
    ['not a vision model', (d) => clipFolder(d, { json: (j) => (j['model_type'] = 'blip') }), loadHfVisionTower, `config key 'model_type' is 'blip'`],
    ['grey images', (d) => clipFolder(d, { json: (j) => (j['num_channels'] = 1) }), loadHfVisionTower, `config key 'num_channels' is 1`],
    ['a shape the tower refuses', (d) => clipFolder(d, { json: (j) => (j['patch_size'] = 5) }), loadHfVisionTower, `vision tower: imageSize 16 is not a multiple of patchSize 5`],
  ];
  for (const [what, write, load, message] of cases) {
    await withTmpDir(async (dir) => {
      await write(dir);
      await refuses(() => load(dir), new RegExp(`^Error: ${esc(join(dir, 'config.json'))}: ${esc(message)}`));
    }).catch((e: Error) => assert.fail(`${what}: ${e.message}`));
  }
});

test('a folder without config.json or safetensors, and an index that maps a key to the wrong shard, are refused by name', async () => {
  await selectBackend('cpu');
  await withTmpDir(async (dir) => {
    await phi3Folder(dir);
    await rm(join(dir, 'model.safetensors'));
    await writeFile(join(dir, 'pytorch_model.bin'), 'pickle');
    await refuses(() => loadHfPhi3(dir), new RegExp(`${esc(dir)}: no \\*\\.safetensors file \\(pytorch_model\\.bin are pickles`));
    await rm(join(dir, 'config.json'));
    await refuses(() => loadHfPhi3(dir), new RegExp(`${esc(join(dir, 'config.json'))}: cannot read the checkpoint's config`));
  });
  await withTmpDir(async (dir) => {
    await phi3Folder(dir, { shards: 2 });
    const index = join(dir, 'model.safetensors.index.json');
    const { readFile } = await import('node:fs/promises');
    const json = JSON.parse(await readFile(index, 'utf8')) as { weight_map: Record<string, string> };
    json.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    await writeFile(index, JSON.stringify(json));
    await refuses(() => loadHfPhi3(dir), new RegExp(`${esc(index)}: parameter 'model\\.norm\\.weight' is mapped to model-00001-of-00002\\.safetensors, which does not hold it`));
  });
});
