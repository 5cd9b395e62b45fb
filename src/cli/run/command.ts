/**
 * `pipeline run`: resolve the pipeline, create the run directory, wire the event plane
 * (Parquet statistics sink + progress) and hand over to the trainer.
 */
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { loadPipeline, validatePipeline, ConfigError } from '../../config/load.js';
import { applyOverride, parseOverride } from '../../config/overrides.js';
import type { PipelineConfig } from '../../config/schema.js';
import { routerCatalog } from '../../models/moe/registry.js';
import { parseVerbArgs } from '../shared/args.js';
import { RUN_HELP } from '../shared/help.js';
import { EXIT, UsageError } from '../shared/errors.js';
import { checkpointSteps, newRunDir, readRunConfig, writeRunConfig, type RunRecord } from '../shared/run-dir.js';
import { runtimeVersions } from '../shared/versions.js';
import { runPipeline } from './run-pipeline.js';
import { summaryText } from './summary.js';
import type { TrainerDriver } from './train-context.js';

export { runPipeline, type RunPipelineOptions, type RunSummary } from './run-pipeline.js';
export { summaryText } from './summary.js';
export type { TrainContext, TrainerDriver } from './train-context.js';

export interface RunCommandDeps {
  /** Injected by tests; the CLI uses the training operator (`trainDriver`, src/cli/run/driver.ts). */
  readonly trainer?: TrainerDriver;
  readonly stdout?: (s: string) => void;
  readonly stderr?: (s: string) => void;
  readonly tty?: boolean;
  /** Progress sampling period (default 250 ms on a TTY, 10 s otherwise). */
  readonly progressEveryMs?: number;
  readonly now?: Date;
}

export async function runCommand(argv: string[], deps: RunCommandDeps = {}): Promise<number> {
  const out = deps.stdout ?? ((s: string) => process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => process.stderr.write(s));
  const { values, positionals } = parseVerbArgs('run', argv, {
    set: { type: 'string', multiple: true },
    out: { type: 'string' },
    backend: { type: 'string' },
    resume: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (values.help) { out(`${RUN_HELP}\n`); return EXIT.ok; }
  const sets = [...(values.set ?? [])];
  if (values.backend !== undefined) sets.push(`trainer.backend=${values.backend}`);
  if (values.out !== undefined) sets.push(`out.dir=${JSON.stringify(values.out)}`);
  if (positionals.length > 1) throw new UsageError(`expected one pipeline file, got ${positionals.length}: ${positionals.join(' ')}`, 'run');

  let config: PipelineConfig;
  let source: string;
  let resumeFromStep: number | undefined;
  let runDir: string;
  let runId: string;
  let previous: RunRecord | undefined;
  if (values.resume !== undefined) {
    if (positionals.length) throw new UsageError('give either a pipeline FILE or --resume RUN_DIR, not both (the run\'s own config.yaml is used; change it with --set)', 'run');
    runDir = resolve(values.resume);
    const saved = await readRunConfig(runDir);
    previous = saved.run;
    const tree = saved.pipeline;
    for (const s of sets) applyOverride(tree, parseOverride(s));
    source = join(runDir, 'config.yaml');
    config = validatePipeline(tree, source, routerCatalog());
    const cps = await checkpointSteps(runDir);
    if (cps.length === 0) throw new ConfigError(runDir, [`no checkpoint under ${join(runDir, 'checkpoints')} to resume from; start a fresh run instead`]);
    resumeFromStep = cps[cps.length - 1]!;
    runId = previous?.id ?? runDir.split('/').pop()!;
  } else {
    const file = positionals[0];
    if (!file) throw new UsageError('missing the pipeline FILE (e.g. pipeline run pipelines/quickstart.yaml)', 'run');
    const loaded = await loadPipeline(file, sets, routerCatalog());
    config = loaded.config;
    source = file;
    runDir = '';
    runId = '';
  }

  if (values['dry-run']) {
    out(toYaml(config, { lineWidth: 0 }));
    err(`${source}: valid${resumeFromStep !== undefined ? `; would resume from checkpoint step ${resumeFromStep}` : ''}\n`);
    return EXIT.ok;
  }
  const trainer = deps.trainer ?? (await import('./driver.js')).trainDriver;
  if (values.resume === undefined) {
    const made = await newRunDir(resolve(config.out.dir), config.name ?? 'run', deps.now);
    runDir = made.dir;
    runId = made.id;
  }
  const record: RunRecord = {
    id: runId,
    created: previous?.created ?? (deps.now ?? new Date()).toISOString(),
    // On resume, keep where the run came from and every override ever applied, in order.
    source: previous?.source ?? source,
    overrides: [...(previous?.overrides ?? []), ...sets],
    seed: { data: config.data.seed, trainer: config.trainer.seed },
    backend: { requested: config.trainer.backend },
    versions: runtimeVersions(),
    ...(resumeFromStep !== undefined ? { resumedFromStep: resumeFromStep } : {}),
  };
  await writeRunConfig(runDir, config, record);
  err(`run ${runId} → ${runDir}${resumeFromStep !== undefined ? ` (resuming after step ${resumeFromStep})` : ''}\n`);

  const abort = new AbortController();
  const onSigint = (): void => { err('\ninterrupt: finishing the current step and flushing statistics (Ctrl-C again to kill)\n'); abort.abort(); process.off('SIGINT', onSigint); };
  process.on('SIGINT', onSigint);
  try {
    const tty = deps.tty ?? Boolean(process.stderr.isTTY);
    const s = await runPipeline(config, {
      runId, runDir, record, resumeFromStep, trainer, signal: abort.signal, log: err,
      progress: { tty, write: err, everyMs: deps.progressEveryMs ?? (tty ? 250 : 10_000) },
    });
    err(summaryText(s));
    return abort.signal.aborted ? EXIT.interrupted : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

