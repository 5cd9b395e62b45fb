/**
 * `pipeline eval`'s work, free of argument parsing: load the tasks' data (every missing file or
 * bad row reported before any model work), then for each chosen checkpoint build the model from
 * the checkpoint, score every task not yet in eval/results, and write its items and results.
 */
import { join } from 'node:path';
import { validatePipeline } from '../../config/load.js';
import { loadTaskItems, type BadRowPolicy, type LoadedTask } from '../../eval/data/load-task-items.js';
import { loadedTaskLog } from '../../eval/data/bad-rows.js';
import { scoreItems, type EvalTokenizer } from '../../eval/scoring/score-items.js';
import { taskMetrics, type MetricRow } from '../../eval/scoring/task-metrics.js';
import { evalTask } from '../../eval/tasks/registry.js';
import { vlmTaskNames } from '../../eval/vlm/tasks/registry.js';
import { selectBackend, type BackendRequest } from '../../models/backend.js';
import { modelFromCheckpoint } from '../../models/checkpoint/load-lm-weights.js';
import { EvalRoutingRecorder } from '../../models/lm/eval-routing.js';
import { LmContinuationScorer } from '../../models/lm/score-continuations.js';
import { createMoeLayer, moeAlgorithms } from '../../models/moe/registry.js';
import { evalItemRows } from '../../sinks/tables/eval-items.js';
import { evalResultRows, type EvalRunKey } from '../../sinks/tables/eval-results.js';
import { EvalTables } from '../../sinks/tables/eval-tables.js';
import { decodeIds, encodeTexts, loadTokenizer } from '../../tokenizer/tokenizer.js';
import { RUN_TOKENIZER } from '../run/data-plan.js';
import { checkpointSteps, readRunConfig } from '../shared/run-dir.js';
import { RoutingCapture } from './routing-capture.js';

export type CheckpointChoice = 'last' | 'all' | readonly number[];

export interface RunEvalOptions {
  readonly runDir: string;
  readonly tasks: readonly string[];
  readonly checkpoints?: CheckpointChoice;
  /** Folder laid out as ../shared/data/eval; or per-task files in `taskFiles`. */
  readonly dataDir?: string;
  readonly taskFiles?: Readonly<Record<string, readonly string[]>>;
  /** Items per data file (0 or absent: all). */
  readonly limit?: number;
  /** Options (requests) per forward. */
  readonly batchSize?: number;
  /** Rows padded to a multiple of this many tokens. */
  readonly quantum?: number;
  readonly backend?: BackendRequest;
  readonly onBadRow?: BadRowPolicy;
  /** Eval-time routing logs (eval/routing, eval/routes): one sequence per forward, routes for this share of items. */
  readonly routing?: { readonly tokenSampleRate: number };
  readonly log?: (line: string) => void;
  /** VLM tasks: at most this many new tokens per answer (below the task's own max_new_tokens; a quick look, not the protocol). */
  readonly maxNewTokens?: number;
  /** VLM tasks: what relative image paths are resolved against (default: each data file's folder). */
  readonly imageDir?: string;
}

export interface TaskOutcome {
  readonly step: number;
  readonly task: string;
  /** 'done' now, or 'skipped' because eval/results has it. */
  readonly status: 'done' | 'skipped';
  readonly items?: number;
  readonly seconds?: number;
  /** LibMoE's headline: group_average accuracy (LAMBADA: total accuracy). */
  readonly headline?: number;
}

export interface EvalSummary {
  readonly runId: string;
  readonly backend: string;
  readonly steps: readonly number[];
  readonly outcomes: readonly TaskOutcome[];
}

export function headlineOf(metrics: readonly MetricRow[]): number | undefined {
  const lib = metrics.filter((m) => m.protocol === 'libmoe' && m.metric === 'accuracy');
  return (lib.find((m) => m.group === 'group_average') ?? lib.find((m) => m.group === 'total'))?.value;
}

export async function chooseSteps(runDir: string, choice: CheckpointChoice): Promise<number[]> {
  const all = await checkpointSteps(runDir);
  if (all.length === 0) throw new Error(`${runDir}: no checkpoint under ${join(runDir, 'checkpoints')} to evaluate`);
  if (choice === 'last') return [all[all.length - 1]!];
  if (choice === 'all') return all;
  const missing = choice.filter((s) => !all.includes(s));
  if (missing.length) throw new Error(`${runDir}: no checkpoint step-${missing.join(', step-')}; the run has step-${all.join(', step-')}`);
  return [...new Set(choice)].sort((a, b) => a - b);
}

export async function runEval(o: RunEvalOptions): Promise<EvalSummary> {
  const log = o.log ?? (() => undefined);
  const saved = await readRunConfig(o.runDir);
  const steps = await chooseSteps(o.runDir, o.checkpoints ?? 'last');
  // A VLM run (checkpoints with vlm.json) takes the VLM tasks, an LM run the LM tasks.
  const { isVlmCheckpoint, runVlmEval } = await import('./run-vlm-eval.js');
  const vlmTasks = new Set<string>(vlmTaskNames());
  const vlmSteps = await Promise.all(steps.map((s) => isVlmCheckpoint(o.runDir, s)));
  if (vlmSteps.some((v) => v !== vlmSteps[0])) throw new Error(`${o.runDir}: the chosen checkpoints mix VLM (vlm.json) and language-model checkpoints`);
  if (vlmSteps[0]) {
    const lmOnly = o.tasks.filter((t) => !vlmTasks.has(t));
    if (lmOnly.length) throw new Error(`${o.runDir} is a VLM run (checkpoints/step-N/vlm.json): ${lmOnly.join(', ')} ${lmOnly.length > 1 ? 'are language-model tasks' : 'is a language-model task'}; its tasks are ${[...vlmTasks].join(', ')}`);
    return runVlmEval(o, steps);
  }
  const vlmOnly = o.tasks.filter((t) => vlmTasks.has(t));
  if (vlmOnly.length) throw new Error(`${o.runDir} is a language-model run: ${vlmOnly.join(', ')} ${vlmOnly.length > 1 ? 'are VLM tasks' : 'is a VLM task'} and need a VLM checkpoint (vlm.json)`);
  const config = validatePipeline(saved.pipeline, join(o.runDir, 'config.yaml'), { algorithms: moeAlgorithms() });
  const runId = saved.run?.id ?? o.runDir.split('/').filter(Boolean).pop()!;
  const limit = o.limit ?? 0;
  const tasks = o.tasks.map(evalTask);

  const loaded: LoadedTask[] = [];
  for (const task of tasks) {
    const l = await loadTaskItems(task, {
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.taskFiles?.[task.name] ? { files: o.taskFiles[task.name] } : {}),
      onBadRow: o.onBadRow ?? 'fail',
      ...(limit > 0 ? { limit } : {}),
    });
    log(loadedTaskLog(task.name, l.counts, l.files.map((f) => `${f.path} (${f.format})`).join(', '), l.skippedExamples));
    loaded.push(l);
  }

  const tables = await EvalTables.open(o.runDir);
  if (tables.droppedItems > 0) log(`eval: removed ${tables.droppedItems} item rows of a task whose results were never written (an interrupted eval)\n`);
  const backend = await selectBackend(o.backend ?? config.trainer.backend, { matmul: config.trainer.matmul });
  const tok = loadTokenizer(join(o.runDir, RUN_TOKENIZER));
  const tokenizer: EvalTokenizer = { encode: (t) => encodeTexts(tok, t), decode: (ids) => decodeIds(tok, ids) };
  const outcomes: TaskOutcome[] = [];
  for (const step of steps) {
    const keys = loaded.map((l): EvalRunKey => ({ runId, step, task: l.task.name, itemLimit: limit }));
    const todo = loaded.filter((_, i) => !tables.isDone(keys[i]!));
    for (const l of loaded) if (!todo.includes(l)) outcomes.push({ step, task: l.task.name, status: 'skipped' });
    if (todo.length === 0) { log(`step ${step}: every task is already in eval/results\n`); continue; }
    const { model } = await modelFromCheckpoint(join(o.runDir, 'checkpoints', `step-${step}`), createMoeLayer);
    try {
      const recorder = o.routing ? new EvalRoutingRecorder() : undefined;
      const scorer = new LmContinuationScorer(model, {
        maxTokens: config.data.seqLen, step, totalSteps: config.trainer.steps,
        // Routing logs: one unpadded sequence per forward, so a layer's statistics are that sequence's.
        ...(recorder ? { quantum: 1 } : o.quantum !== undefined ? { quantum: o.quantum } : {}),
        ...(recorder ? { onMoe: recorder.onMoe } : {}),
      });
      for (const l of todo) {
        const key: EvalRunKey = { runId, step, task: l.task.name, itemLimit: limit };
        const t0 = performance.now();
        const capture = recorder ? new RoutingCapture(scorer, recorder, RoutingCapture.sampledRequests(l.task.name, l.items, o.routing!.tokenSampleRate)) : undefined;
        // Routing capture records its sequences in item order.
        const results = await scoreItems(l.items, { tokenizer, scorer: capture ?? scorer, batchSize: capture ? 1 : o.batchSize ?? 32, ...(capture ? { order: 'items' as const } : {}) });
        const seconds = (performance.now() - t0) / 1000;
        const c = l.counts;
        const metrics: MetricRow[] = [
          ...taskMetrics(results),
          ...(['read', 'used', 'skipped', 'excluded'] as const).map((m): MetricRow => ({ group: 'all', protocol: 'moeflow', metric: m, value: c[m], n: c.read })),
        ];
        await tables.write(key, { items: evalItemRows(key, results), results: evalResultRows(key, metrics), ...(capture ? capture.rows(key, l.items) : {}) });
        const headline = headlineOf(metrics);
        outcomes.push({ step, task: l.task.name, status: 'done', items: results.length, seconds, ...(headline !== undefined ? { headline } : {}) });
        log(`step ${step} ${l.task.name}: accuracy ${headline === undefined ? '—' : (100 * headline).toFixed(2)} on ${results.length} items (${(results.length / seconds).toFixed(1)} items/s)\n`);
      }
    } finally {
      model.dispose();
    }
  }
  return { runId, backend: backend.name, steps, outcomes };
}
