/**
 * Run a resolved pipeline in an existing run directory: open the statistics sink, wire the
 * event plane (sink, progress, summary counters) and hand the trainer its context.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../../config/schema.js';
import { EventPlane } from '../../events/event-plane.js';
import type { DataCounts } from '../../events/step-event.js';
import { RunStatsSink } from '../../sinks/run-stats-sink.js';
import { renderProgress } from '../shared/progress.js';
import { writeRunConfig, type RunRecord } from '../shared/run-dir.js';
import type { TrainContext, TrainerDriver } from './train-context.js';
import { workerCount } from './workers.js';

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
  /** Data-parallel gradient workers (1: the trainer's own thread). */
  readonly workers: number;
  /** The sources' read/used/skipped counts at the last step (whole run, resumes included). */
  readonly data?: DataCounts;
  /** VLM runs with held-out records: RUN_DIR/heldout.json (teacher-forced answer accuracy, chance). */
  readonly heldOut?: {
    readonly records: number; readonly tokenAccuracy: number; readonly exactMatch: number; readonly rows: number; readonly answers: number; readonly answerExactMatch: number;
    readonly majorityBaseline: number; readonly uniformTokenChance: number; readonly metric: string;
  };
}

/** Run a resolved pipeline in an existing run directory (config.yaml already written). */
export async function runPipeline(config: PipelineConfig, opts: RunPipelineOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const workers = workerCount(config);
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
  let data: DataCounts | undefined;
  plane.events$.subscribe((e) => {
    if (e.kind === 'step') { steps++; tokens += e.result.tokens; lastStep = e.result.step; lastLoss = e.result.loss; data = e.data ?? data; }
    if (e.kind === 'eval') lastEval = { step: e.step, loss: e.result.loss, perplexity: e.result.perplexity };
  });
  const progress = opts.progress
    ? renderProgress(plane.events$, { totalSteps: config.trainer.steps, startStep: opts.resumeFromStep, workers, ...opts.progress })
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
  let heldOut: RunSummary['heldOut'];
  try {
    heldOut = config.model.vlm ? JSON.parse(await readFile(join(opts.runDir, 'heldout.json'), 'utf8')) as RunSummary['heldOut'] : undefined;
  } catch { heldOut = undefined; }
  return { ...(heldOut ? { heldOut } : {}), runId: opts.runId, runDir: opts.runDir, steps, lastStep, tokens, wallMs: Date.now() - t0, lastLoss, lastEval, workers, tables: sink.written(), ...(data ? { data } : {}) };
}


