/**
 * Step 3 of `pipeline run`: the run directory (new, or the resumed one) and its record in
 * config.yaml (the resolved pipeline + where it came from, seeds, backend, versions).
 */
import { resolve } from 'node:path';
import { newRunDir, writeRunConfig, type RunRecord } from '../shared/run-dir.js';
import { runtimeVersions } from '../shared/versions.js';
import type { RunPlan } from './resolve-run.js';

export interface StartedRun {
  readonly plan: RunPlan;
  readonly runId: string;
  readonly runDir: string;
  readonly record: RunRecord;
  /** True when this process created runDir (so it may remove it if nothing ran). */
  readonly created: boolean;
}

export async function startRun(plan: RunPlan, now: Date = new Date()): Promise<StartedRun> {
  const { config } = plan;
  const where = plan.kind === 'resume'
    ? { id: plan.runId, dir: plan.runDir }
    : await newRunDir(resolve(config.out.dir), config.name ?? 'run', now);
  const previous = plan.kind === 'resume' ? plan.previous : undefined;
  const record: RunRecord = {
    id: where.id,
    created: previous?.created ?? now.toISOString(),
    // On resume, keep where the run came from and every override ever applied, in order.
    source: previous?.source ?? plan.source,
    overrides: [...(previous?.overrides ?? []), ...plan.sets],
    seed: { data: config.data.seed, trainer: config.trainer.seed },
    backend: { requested: config.trainer.backend },
    versions: runtimeVersions(),
    ...(plan.kind === 'resume' ? { resumedFromStep: plan.fromStep } : {}),
  };
  await writeRunConfig(where.dir, config, record);
  return { plan, runId: where.id, runDir: where.dir, record, created: plan.kind === 'fresh' };
}
