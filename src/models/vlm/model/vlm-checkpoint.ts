/**
 * A VLM's weights on disk, by checkpoint name, so the next stage starts from them:
 *   model.safetensors   every parameter, F32 (`vision_tower.…`, `mm_projector.…`, `language_model.…`)
 *   vlm.json            { format, config, moe } the VlmConfig and the MoE layers' non-trainable state
 * Stage 2 loads stage 1's folder into the same config; stage 3 loads stage 2's and upcycles.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Json } from '../../../base/json.js';
import { tf } from '../../tf.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../checkpoint/safetensors.js';
import { VisionLanguageModel, type LanguageModelBuilder } from './vision-language-model.js';
import type { VlmConfig } from './vlm-config.js';

export const VLM_CHECKPOINT_FORMAT = 'moeflow-vlm-weights/1';

interface VlmState {
  readonly format: string;
  readonly config: VlmConfig;
  readonly moe: Json;
}

export async function saveVlmWeights(dir: string, model: VisionLanguageModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of model.params) tensors.set(name, { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array });
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: VLM_CHECKPOINT_FORMAT });
  const state: VlmState = { format: VLM_CHECKPOINT_FORMAT, config: model.config, moe: model.moeState() };
  const tmp = join(dir, `vlm.json.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, join(dir, 'vlm.json'));
}

export async function readVlmConfig(dir: string): Promise<VlmConfig> {
  return (await readState(dir)).config;
}

/**
 * Assigns a checkpoint's weights to `model` by name. Every tensor must have a parameter of its
 * shape and every parameter a tensor; everything is checked before anything is assigned, and
 * errors name the tensor.
 */
export async function loadVlmWeights(dir: string, model: VisionLanguageModel): Promise<void> {
  const state = await readState(dir);
  const file = join(dir, 'model.safetensors');
  const { tensors } = await readSafetensors(file);
  const extra = [...tensors.keys()].filter((k) => !model.params.has(k));
  if (extra.length > 0) throw new Error(`${file}: tensors with no place in the model: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ' …' : ''}`);
  for (const [name, v] of model.params) {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`${file}: missing tensor "${name}"`);
    if (t.shape.join() !== v.shape.join()) throw new Error(`${file}: tensor "${name}" has shape [${t.shape}], the model expects [${v.shape}]`);
  }
  for (const [name, v] of model.params) tf.tidy(() => v.assign(tf.tensor(tensors.get(name)!.data, [...v.shape], 'float32')));
  model.setMoeState(state.moe);
}

/** The model a checkpoint folder describes, with its weights. `buildLanguageModel` as for VisionLanguageModel.create. */
export async function vlmFromCheckpoint(dir: string, buildLanguageModel?: LanguageModelBuilder): Promise<VisionLanguageModel> {
  const model = VisionLanguageModel.create((await readState(dir)).config, buildLanguageModel);
  try {
    await loadVlmWeights(dir, model);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function readState(dir: string): Promise<VlmState> {
  const path = join(dir, 'vlm.json');
  const state = JSON.parse(await readFile(path, 'utf8')) as VlmState;
  if (state.format !== VLM_CHECKPOINT_FORMAT) throw new Error(`${path}: format "${state.format}", expected "${VLM_CHECKPOINT_FORMAT}"`);
  return state;
}
