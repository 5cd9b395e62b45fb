/**
 * A VLM training checkpoint: the weights folder (vlm-checkpoint.ts) plus what exact resume needs,
 *   optimizer.safetensors   AdamW moments of the trainable parameters, m.<name> / v.<name>
 *   trainer.json            { format, step, optimizerSteps, trainable }
 * Loading into a trainer of the same model config and trainable set continues bit for bit on
 * the same backend (weights, moments and the MoE layers' state round-trip exactly).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../../tf.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../checkpoint/safetensors.js';
import { loadVlmWeights, saveVlmWeights } from './vlm-checkpoint.js';
import type { VlmTrainer } from './vlm-trainer.js';

export const VLM_TRAINER_FORMAT = 'moeflow-vlm-trainer/1';

interface TrainerFile {
  readonly format: string;
  readonly step: number;
  readonly optimizerSteps: number;
  readonly trainable: readonly string[];
}

export async function saveVlmCheckpoint(dir: string, trainer: VlmTrainer): Promise<void> {
  await saveVlmWeights(dir, trainer.model);
  const moments = new Map<string, SafeTensor>();
  for (const [prefix, vars] of [['m.', trainer.optimizer.m], ['v.', trainer.optimizer.v]] as const) {
    for (const [name, v] of vars) moments.set(prefix + name, { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array });
  }
  await writeSafetensors(join(dir, 'optimizer.safetensors'), moments, { format: VLM_TRAINER_FORMAT });
  const state: TrainerFile = { format: VLM_TRAINER_FORMAT, step: trainer.step, optimizerSteps: trainer.optimizer.steps, trainable: trainer.trainable };
  const tmp = join(dir, `trainer.json.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, join(dir, 'trainer.json'));
}

/** Restores weights, MoE state, moments and step into `trainer`; its trainable set must be the checkpoint's. */
export async function loadVlmCheckpoint(dir: string, trainer: VlmTrainer): Promise<void> {
  const path = join(dir, 'trainer.json');
  const state = JSON.parse(await readFile(path, 'utf8')) as TrainerFile;
  if (state.format !== VLM_TRAINER_FORMAT) throw new Error(`${path}: format "${state.format}", expected "${VLM_TRAINER_FORMAT}"`);
  if (state.trainable.join('\n') !== trainer.trainable.join('\n')) {
    throw new Error(`${path}: the checkpoint trained ${state.trainable.length} parameters, this trainer ${trainer.trainable.length}; resume needs the same trainable patterns`);
  }
  const file = join(dir, 'optimizer.safetensors');
  const { tensors } = await readSafetensors(file);
  const plan: [tf.Variable, SafeTensor][] = [];
  for (const [prefix, vars] of [['m.', trainer.optimizer.m], ['v.', trainer.optimizer.v]] as const) {
    for (const [name, v] of vars) {
      const t = tensors.get(prefix + name);
      if (t === undefined || t.shape.join() !== v.shape.join()) throw new Error(`${file}: "${prefix + name}" ${t ? `has shape [${t.shape}], expected [${v.shape}]` : 'is missing'}`);
      plan.push([v, t]);
    }
  }
  await loadVlmWeights(dir, trainer.model);
  for (const [v, t] of plan) tf.tidy(() => v.assign(tf.tensor(t.data, [...t.shape], 'float32')));
  trainer.step = state.step;
  trainer.optimizer.steps = state.optimizerSteps;
}
