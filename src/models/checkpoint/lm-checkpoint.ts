/**
 * LM checkpoint directory:
 *   model.safetensors      every parameter, F32, by checkpoint name (e.g. layers.3.attn.qkv)
 *   optimizer.safetensors  AdamW moments as m.<name> / v.<name>
 *   state.json             { format, config, trainer: { step, optimizerSteps, moeLayers[] }, extra }
 * Loading into a model built from the same config continues training bit for bit on the
 * same backend (weights and moments round-trip exactly; no state lives elsewhere).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, type Variable } from '../tf.js';
import type { Json } from '../../base/json.js';
import type { LmTrainer } from '../lm/trainer.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from './safetensors.js';

export const LM_CHECKPOINT_FORMAT = 'moeflow-lm-checkpoint/1';

export async function saveLmCheckpoint(dir: string, trainer: LmTrainer, extra: Json = null): Promise<void> {
  await mkdir(dir, { recursive: true });
  const model = await snapshot(trainer.model.params);
  const moments = new Map<string, SafeTensor>();
  for (const [name, t] of await snapshot(trainer.optimizer.m)) moments.set(`m.${name}`, t);
  for (const [name, t] of await snapshot(trainer.optimizer.v)) moments.set(`v.${name}`, t);
  await writeSafetensors(join(dir, 'model.safetensors'), model, { format: LM_CHECKPOINT_FORMAT });
  await writeSafetensors(join(dir, 'optimizer.safetensors'), moments, { format: LM_CHECKPOINT_FORMAT });
  const state = { format: LM_CHECKPOINT_FORMAT, config: trainer.model.config as unknown as Json, trainer: trainer.state(), extra };
  const tmp = join(dir, `state.json.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, join(dir, 'state.json'));
}

/** Restores weights, moments and trainer state into `trainer` (its model must have the same parameter names and shapes). Returns `extra`. */
export async function loadLmCheckpoint(dir: string, trainer: LmTrainer): Promise<Json> {
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { format: string; trainer: Json; extra: Json };
  if (state.format !== LM_CHECKPOINT_FORMAT) throw new Error(`${dir}/state.json: format "${state.format}", expected "${LM_CHECKPOINT_FORMAT}"`);
  const { tensors: weights } = await readSafetensors(join(dir, 'model.safetensors'));
  const { tensors: moments } = await readSafetensors(join(dir, 'optimizer.safetensors'));
  // A tensor the model has no place for means the checkpoint is of another model: never drop it silently.
  const extra = [...[...weights.keys()].filter((k) => !trainer.model.params.has(k)), ...[...moments.keys()].filter((k) => !trainer.model.params.has(k.slice(2)))];
  if (extra.length > 0) throw new Error(`${dir}: checkpoint holds tensors this model does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ' …' : ''}`);
  // Check everything before touching anything: a failed load leaves the model as it was.
  const plan = [
    ...match(trainer.model.params, weights, '', `${dir}/model.safetensors`),
    ...match(trainer.optimizer.m, moments, 'm.', `${dir}/optimizer.safetensors`),
    ...match(trainer.optimizer.v, moments, 'v.', `${dir}/optimizer.safetensors`),
  ];
  for (const [v, t] of plan) tf.tidy(() => v.assign(tf.tensor(t.data, [...t.shape], t.dtype === 'F32' ? 'float32' : 'int32')));
  trainer.setState(state.trainer);
  return state.extra;
}

async function snapshot(vars: ReadonlyMap<string, Variable>): Promise<Map<string, SafeTensor>> {
  const out = new Map<string, SafeTensor>();
  for (const [name, v] of vars) {
    const data = await v.data();
    if (v.dtype === 'float32') out.set(name, { dtype: 'F32', shape: v.shape, data: data as Float32Array });
    else if (v.dtype === 'int32') out.set(name, { dtype: 'I32', shape: v.shape, data: data as Int32Array });
    else throw new Error(`checkpoint: "${name}" has dtype ${v.dtype}; only float32/int32 are stored`);
  }
  return out;
}

function match(vars: ReadonlyMap<string, Variable>, tensors: ReadonlyMap<string, SafeTensor>, prefix: string, source: string): [Variable, SafeTensor][] {
  const out: [Variable, SafeTensor][] = [];
  for (const [name, v] of vars) {
    const t = tensors.get(prefix + name);
    if (t === undefined) throw new Error(`${source}: missing tensor "${prefix + name}"`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) throw new Error(`${source}: "${prefix + name}" has shape [${t.shape}], the model expects [${v.shape}]`);
    out.push([v, t]);
  }
  return out;
}
