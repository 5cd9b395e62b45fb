/**
 * Step 1 of `pipeline run`: which pipeline runs, with which overrides, and whether it continues
 * an earlier run (--resume). Nothing is created here; every problem is a usage or config error (exit 2).
 */
import { join, resolve } from 'node:path';
import { ConfigError, loadPipeline, validatePipeline } from '../../config/load.js';
import { applyOverride, parseOverride } from '../../config/overrides.js';
import type { PipelineConfig } from '../../config/schema.js';
import { evalTaskNames } from '../../eval/tasks/registry.js';
import { routerCatalog } from '../../models/moe/registry.js';
import { UsageError } from '../shared/errors.js';
import { checkpointSteps, readRunConfig, type RunRecord } from '../shared/run-dir.js';

/** What the command line asks for, as the run verb's options give it. */
export interface RunRequest {
  readonly file?: string;
  readonly set?: readonly string[];
  readonly out?: string;
  readonly backend?: string;
  readonly resume?: string;
}

/** A resolved run, before anything exists on disk. */
export type RunPlan = {
  readonly config: PipelineConfig;
  /** The pipeline file (or the resumed run's config.yaml) the config came from. */
  readonly source: string;
  /** Every --set applied, in order, including those --out and --backend stand for. */
  readonly sets: readonly string[];
} & (
  | { readonly kind: 'fresh' }
  | { readonly kind: 'resume'; readonly runDir: string; readonly runId: string; readonly fromStep: number; readonly previous?: RunRecord }
);

export async function resolveRun(req: RunRequest): Promise<RunPlan> {
  const sets = [...(req.set ?? [])];
  if (req.backend !== undefined) sets.push(`trainer.backend=${req.backend}`);
  if (req.out !== undefined) sets.push(`out.dir=${JSON.stringify(req.out)}`);
  const catalog = { ...routerCatalog(), evalTasks: evalTaskNames() };
  if (req.resume === undefined) {
    if (req.file === undefined) throw new UsageError('missing the pipeline FILE (e.g. pipeline run pipelines/quickstart.yaml)', 'run');
    const loaded = await loadPipeline(req.file, sets, catalog);
    return { kind: 'fresh', config: loaded.config, source: req.file, sets };
  }
  if (req.file !== undefined) throw new UsageError('give either a pipeline FILE or --resume RUN_DIR, not both (the run\'s own config.yaml is used; change it with --set)', 'run');
  const runDir = resolve(req.resume);
  const saved = await readRunConfig(runDir).catch((e: Error) => { throw new UsageError(`--resume: ${e.message}`, 'run'); });
  const tree = saved.pipeline;
  for (const s of sets) applyOverride(tree, parseOverride(s));
  const source = join(runDir, 'config.yaml');
  const config = validatePipeline(tree, source, catalog);
  const steps = await checkpointSteps(runDir);
  if (steps.length === 0) throw new ConfigError(runDir, [`no checkpoint under ${join(runDir, 'checkpoints')} to resume from; start a fresh run instead`]);
  return {
    kind: 'resume', config, source, sets, runDir, fromStep: steps[steps.length - 1]!,
    runId: saved.run?.id ?? runDir.split('/').pop()!,
    ...(saved.run ? { previous: saved.run } : {}),
  };
}
