/**
 * Run checkpoints: `RUN_DIR/checkpoints/step-N/` = the models side's LM checkpoint
 * (model.safetensors, optimizer.safetensors, state.json with step, optimiser step count and
 * MoE layer states) whose `extra` holds what the run adds: the data flow's `state()`.
 * Written ATOMICALLY: everything goes into `step-N.tmp-<pid>/`, which is renamed to `step-N`
 * only when complete, so `step-N/` either is a whole checkpoint or does not exist.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { loadLmCheckpoint, saveLmCheckpoint } from '../../models/checkpoint/lm-checkpoint.js';
import type { LmTrainer } from '../../models/lm/trainer.js';
import type { Json, StageState } from '../../streams/stage.js';

export const RUN_CHECKPOINT_FORMAT = 'moeflow-run-checkpoint/1';

/** The run's part of a checkpoint (state.json `extra`). */
export interface RunCheckpointExtra {
  readonly format: typeof RUN_CHECKPOINT_FORMAT;
  /** Optimiser steps completed (= N of step-N). */
  readonly step: number;
  /** The training flow's state: the next batch after a resume is the one that would have followed. */
  readonly flow: StageState;
  /**
   * Where the run's randomness lives. Data order: seeded RNGs inside the flow state (shuffle,
   * mixing); the trainer draws no random numbers while training (initial weights come from
   * `trainer.seed`, the token sample of routing/tokens hashes (seed, step, token)).
   */
  readonly rng: { readonly data: 'in flow state'; readonly trainerSeed: number };
  readonly time: string;
}

export async function writeRunCheckpoint(dir: string, trainer: LmTrainer, extra: RunCheckpointExtra): Promise<void> {
  const tmp = join(dirname(dir), `${basename(dir)}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await saveLmCheckpoint(tmp, trainer, extra as unknown as Json);
  // A checkpoint for this step already there (e.g. the final one coincides with a periodic one) is replaced.
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** Loads weights, moments and trainer state; returns the run's part. */
export async function readRunCheckpoint(dir: string, trainer: LmTrainer): Promise<RunCheckpointExtra> {
  const extra = (await loadLmCheckpoint(dir, trainer)) as unknown as RunCheckpointExtra | null;
  if (!extra || extra.format !== RUN_CHECKPOINT_FORMAT) throw new Error(`${dir}: not a run checkpoint (state.json extra.format is ${JSON.stringify(extra?.format)}, expected "${RUN_CHECKPOINT_FORMAT}")`);
  if (trainer.step !== extra.step) throw new Error(`${dir}: trainer step ${trainer.step} does not match the checkpoint's step ${extra.step}`);
  return extra;
}

/** Removes half-written checkpoints (`step-N.tmp-*`) a killed run left behind. */
export async function removeIncompleteCheckpoints(runDir: string): Promise<string[]> {
  const dir = join(runDir, 'checkpoints');
  let names: string[];
  try { names = await readdir(dir); } catch { return []; }
  const stale = names.filter((n) => /^step-\d+\.tmp-\d+$/.test(n));
  for (const n of stale) await rm(join(dir, n), { recursive: true, force: true });
  return stale;
}
