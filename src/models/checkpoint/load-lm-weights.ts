/**
 * Load a checkpoint's weights (and the MoE layers' non-trainable state) for evaluation: no
 * optimizer, no trainer. The model is built from the checkpoint's own config (state.json), so
 * a checkpoint evaluates without its pipeline; a tensor whose name or shape does not match that
 * config is an error naming the tensor, and nothing is assigned before everything is checked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Json } from '../../base/json.js';
import type { LmConfig } from '../lm/config.js';
import { TransformerLM, type MoeFactory } from '../lm/transformer-lm.js';
import { tf } from '../tf.js';
import { LM_CHECKPOINT_FORMAT } from './lm-checkpoint.js';
import { readSafetensors } from './safetensors.js';

export interface CheckpointState {
  readonly format: string;
  readonly config: LmConfig;
  readonly trainer: { readonly step: number; readonly moeLayers: readonly ({ layer: number; state: Json } | null)[] };
}

export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const path = join(dir, 'state.json');
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as CheckpointState;
  } catch (e) {
    throw new Error(`${path}: cannot read the checkpoint state: ${(e as Error).message}`, { cause: e });
  }
  if (state.format !== LM_CHECKPOINT_FORMAT) throw new Error(`${path}: format "${state.format}", expected "${LM_CHECKPOINT_FORMAT}"`);
  return state;
}

/** Assign the checkpoint's weights and MoE state to `model` (built from the same config). Returns the checkpoint's step. */
export async function loadLmWeights(dir: string, model: TransformerLM, state?: CheckpointState): Promise<number> {
  const st = state ?? (await readCheckpointState(dir));
  const file = join(dir, 'model.safetensors');
  const { tensors } = await readSafetensors(file);
  for (const name of tensors.keys()) {
    if (!model.params.has(name)) throw new Error(`${file}: tensor "${name}" has no place in the model its state.json describes`);
  }
  for (const [name, v] of model.params) {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`${file}: missing tensor "${name}"`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new Error(`${file}: tensor "${name}" has shape [${t.shape}], but the config in state.json gives [${v.shape}]`);
    }
  }
  for (const [name, v] of model.params) {
    const t = tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.data, [...t.shape], t.dtype === 'F32' ? 'float32' : 'int32')));
  }
  st.trainer.moeLayers.forEach((entry, i) => {
    const layer = model.moeLayers[i];
    if ((entry === null) !== (layer === null || layer === undefined)) throw new Error(`${dir}/state.json: block ${i} is ${entry ? 'MoE' : 'dense'} in the checkpoint but not in its config`);
    if (entry && layer) layer.setState(entry.state);
  });
  return st.trainer.step;
}

/** The model a checkpoint describes, with its weights: what evaluation scores. */
export async function modelFromCheckpoint(dir: string, moeFactory: MoeFactory): Promise<{ model: TransformerLM; step: number }> {
  const state = await readCheckpointState(dir);
  let model: TransformerLM;
  try {
    model = new TransformerLM(state.config, moeFactory);
  } catch (e) {
    throw new Error(`${dir}/state.json: cannot build the model its config describes: ${(e as Error).message}`, { cause: e });
  }
  try {
    return { model, step: await loadLmWeights(dir, model, state) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
