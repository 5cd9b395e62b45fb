/**
 * `pipeline run`: resolve the pipeline, create the run directory, wire the event plane
 * (Parquet statistics sink + progress) and hand over to the trainer.
 */
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { loadPipeline, validatePipeline, ConfigError } from '../config/load.js';
import { applyOverride, parseOverride } from '../config/overrides.js';
import type { PipelineConfig } from '../config/schema.js';
import { moeAlgorithms } from '../models/moe/registry.js';
import { EventPlane } from '../events/event-plane.js';
import type { RunEvent } from '../events/step-event.js';
import { RunStatsSink } from '../sinks/run-stats-sink.js';
import { parseVerbArgs } from './args.js';
import { RUN_HELP } from './help.js';
import { EXIT, UsageError } from './errors.js';
import { formatDuration, renderProgress } from './progress.js';
import { checkpointSteps, newRunDir, readRunConfig, writeRunConfig, type RunRecord } from './run-dir.js';
import { runtimeVersions } from './versions.js';

/** What the trainer gets from the run: where to write, how to report, when to stop. */
export interface TrainContext {
  readonly config: PipelineConfig;
  readonly runId: string;
  readonly runDir: string;
  /** Continue after this checkpoint step (its directory is `checkpointDir(step)`); undefined for a fresh run. */
  readonly resumeFromStep?: number;
  checkpointDir(step: number): string;
  /**
   * Push an event; AWAIT it: it resolves when the sinks can take more (backpressure). Returns the
   * ms waited (→ next StepTiming.msSinks). Step numbers are 1-based = optimiser steps completed
   * (LmTrainer's StepResult.step is the 0-based index: emit step + 1), so checkpoint N and the
   * rows up to step N describe the same state.
   */
  emit(event: RunEvent): Promise<number>;
  /** Make every statistic emitted so far durable. Call BEFORE writing checkpoint step N, so a resume from N loses nothing. */
  flush(): Promise<void>;
  /** Record the backend that actually started (saved in config.yaml). */
  recordBackend(name: string, reason: string): Promise<void>;
  /** Aborted on Ctrl-C: finish the current step, emit it, and return. */
  readonly signal: AbortSignal;
  /** A line for the user (stderr): what was built, what is slow. */
  log(message: string): void;
}

export type TrainerDriver = (ctx: TrainContext) => Promise<void>;


export interface RunPipelineOptions {
  readonly runId: string;
  readonly runDir: string;
  readonly record: RunRecord;
  readonly resumeFromStep?: number;
  readonly trainer: TrainerDriver;
  /** Progress display; false = none. */
  readonly progress: false | { readonly tty: boolean; readonly write: (s: string) => void; readonly everyMs: number };
  readonly signal?: AbortSignal;
  /** Where the trainer's messages go (default: nowhere). */
  readonly log?: (s: string) => void;
}

export interface RunSummary {
  readonly runId: string;
  readonly runDir: string;
  readonly steps: number;
  readonly lastStep: number;
  readonly tokens: number;
  readonly wallMs: number;
  readonly lastLoss?: number;
  readonly lastEval?: { readonly step: number; readonly loss: number; readonly perplexity: number };
  readonly tables: Record<string, { rows: number; parts: number }>;
}

/** Run a resolved pipeline in an existing run directory (config.yaml already written). */
export async function runPipeline(config: PipelineConfig, opts: RunPipelineOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const sink = await RunStatsSink.open({
    runDir: opts.runDir,
    flush: { everyRows: config.stats.flushEveryRows, everySeconds: config.stats.flushEverySeconds },
    tokenSampleRate: config.stats.tokenSampleRate,
    seed: config.trainer.seed,
    arrowStream: config.stats.arrowStream,
    resumeFromStep: opts.resumeFromStep,
  });
  const plane = new EventPlane();
  plane.attach(sink);
  let steps = 0, tokens = 0, lastStep = opts.resumeFromStep ?? 0;
  let lastLoss: number | undefined;
  let lastEval: RunSummary['lastEval'];
  plane.events$.subscribe((e) => {
    if (e.kind === 'step') { steps++; tokens += e.result.tokens; lastStep = e.result.step; lastLoss = e.result.loss; }
    if (e.kind === 'eval') lastEval = { step: e.step, loss: e.result.loss, perplexity: e.result.perplexity };
  });
  const progress = opts.progress
    ? renderProgress(plane.events$, { totalSteps: config.trainer.steps, startStep: opts.resumeFromStep, ...opts.progress })
    : undefined;
  let record = opts.record;
  const ctx: TrainContext = {
    config, runId: opts.runId, runDir: opts.runDir, resumeFromStep: opts.resumeFromStep,
    checkpointDir: (step) => join(opts.runDir, 'checkpoints', `step-${step}`),
    emit: (ev) => plane.emit(ev),
    flush: () => plane.flush(),
    recordBackend: async (name, reason) => {
      record = { ...record, backend: { ...record.backend, resolved: name, reason } };
      await writeRunConfig(opts.runDir, config, record);
    },
    signal: opts.signal ?? new AbortController().signal,
    log: opts.log ?? (() => undefined),
  };
  let trainError: unknown;
  try {
    await opts.trainer(ctx);
  } catch (e) {
    trainError = e;
  }
  progress?.unsubscribe();
  try {
    await plane.close(); // flushes every table, even after a failure: what was computed is kept
  } catch (e) {
    // The trainer's error is the cause; a sink error after it is reported alongside, not instead.
    if (trainError) throw new Error(`${(trainError as Error).message} (and closing the statistics failed: ${(e as Error).message})`, { cause: trainError });
    throw e;
  }
  if (trainError) throw trainError;
  return { runId: opts.runId, runDir: opts.runDir, steps, lastStep, tokens, wallMs: Date.now() - t0, lastLoss, lastEval, tables: sink.written() };
}


export interface RunCommandDeps {
  /** Injected by tests; the CLI uses the training operator (`trainDriver`, src/cli/train/driver.ts). */
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
    config = validatePipeline(tree, source, { algorithms: moeAlgorithms() });
    const cps = await checkpointSteps(runDir);
    if (cps.length === 0) throw new ConfigError(runDir, [`no checkpoint under ${join(runDir, 'checkpoints')} to resume from; start a fresh run instead`]);
    resumeFromStep = cps[cps.length - 1]!;
    runId = previous?.id ?? runDir.split('/').pop()!;
  } else {
    const file = positionals[0];
    if (!file) throw new UsageError('missing the pipeline FILE (e.g. pipeline run pipelines/quickstart.yaml)', 'run');
    const loaded = await loadPipeline(file, sets, { algorithms: moeAlgorithms() });
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
  const trainer = deps.trainer ?? (await import('./train/driver.js')).trainDriver;
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

export function summaryText(s: RunSummary): string {
  const tables = Object.entries(s.tables).map(([k, v]) => `${k} ${v.rows} rows/${v.parts} parts`).join(', ');
  return [
    `done: ${s.steps} steps (last ${s.lastStep}), ${s.tokens} tokens in ${formatDuration(s.wallMs)}` +
      (s.wallMs > 0 ? ` (${Math.round((s.tokens * 1000) / s.wallMs)} tok/s)` : ''),
    s.lastLoss !== undefined ? `final train loss ${s.lastLoss.toFixed(4)}` : 'no step finished',
    s.lastEval ? `last eval (step ${s.lastEval.step}): loss ${s.lastEval.loss.toFixed(4)}, perplexity ${s.lastEval.perplexity.toFixed(2)}` : '',
    `statistics: ${tables || 'none'}`,
    `report: pipeline report ${s.runDir}`,
  ].filter(Boolean).join('\n') + '\n';
}
