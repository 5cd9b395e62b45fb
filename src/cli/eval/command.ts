/**
 * `pipeline eval RUN_DIR --tasks ...`: zero-shot evaluation of a run's checkpoints. The verb
 * shape of docs/run.md ("Adding a verb"): a yargs command module plus `evalCommand(argv, io)`
 * for tests. This file loads nothing heavy; the work is `runEval` (run-eval.ts), imported when
 * the verb runs.
 */
import { resolve } from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { BackendRequest } from '../../models/backend.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../shared/errors.js';
import { integerAtLeast, single, stringList } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';
import type { CheckpointChoice } from './run-eval.js';

export type { RunEvalOptions, EvalSummary } from './run-eval.js';

export const command = 'eval [run-dir]';
export const describe = 'score a run\'s checkpoints on zero-shot tasks (local files); writes RUN_DIR/eval/';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline eval RUN_DIR --tasks TASK[,TASK...] [--data DIR] [options]

Zero-shot evaluation of a run's checkpoints on LibMoE's language-model tasks, from local files
(nothing is downloaded). Writes RUN_DIR/eval/results-*.parquet (task, group, metric, value, n)
and RUN_DIR/eval/items-*.parquet (each option's score, gold, prediction), with run_id and the
checkpoint step. Re-running skips what eval/results already holds; a killed eval resumes.

Tasks: lambada, blimp, cbt, hellaswag, piqa, arc_easy, arc_challenge, openbookqa, commonsenseqa,
siqa, race, winogrande, mmlu. On a VLM run (checkpoints with vlm.json): pope, scienceqa_img, mme
(lmms-eval rows, JSONL or Parquet; greedy answers → eval/vlm-items, --routing → eval/vlm-routing). In DIR a task finds its file by name (piqa.jsonl, arc_easy.jsonl,
hellaswag.jsonl, lambada_openai.jsonl, blimp/ with one file per phenomenon, ...; .parquet too),
as HuggingFace dataset rows or llm-foundry ICL JSONL (detected from the fields).
Docs: docs/eval.md (protocol, formats, tables, differences from lm-evaluation-harness).`)
    .positional('run-dir', { type: 'string', describe: 'the run directory (runs/<run-id>)' })
    .option('tasks', { type: 'string', requiresArg: true, coerce: single('tasks'), describe: 'comma-separated task names (required)' })
    .option('data', { type: 'string', requiresArg: true, coerce: single('data'), describe: 'folder holding the task files (default: ./data/eval)' })
    .option('file', { type: 'string', requiresArg: true, coerce: stringList, describe: 'TASK=PATH: a task\'s data file instead of looking in --data (repeatable)' })
    .option('checkpoint', { type: 'string', requiresArg: true, coerce: single('checkpoint'), describe: 'last (default), all, or step-N[,step-M...]' })
    .option('limit', { type: 'string', requiresArg: true, coerce: integerAtLeast('limit', 0), describe: 'only the first N items of each data file (0 = all)' })
    .option('batch-size', { type: 'string', requiresArg: true, coerce: integerAtLeast('batch-size', 1), describe: 'options scored per forward pass (default 32)' })
    .option('backend', { type: 'string', requiresArg: true, choices: ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'], describe: 'default: the run\'s trainer.backend' })
    .option('on-bad-row', { type: 'string', requiresArg: true, choices: ['fail', 'skip'], describe: 'fail: stop at the first bad row, naming file and line (default); skip: count it' })
    .option('max-new-tokens', { type: 'string', requiresArg: true, coerce: integerAtLeast('max-new-tokens', 1), describe: 'VLM tasks: cap on the tokens generated per answer (default: each task\'s max_new_tokens)' })
    .option('images', { type: 'string', requiresArg: true, coerce: single('images'), describe: 'VLM tasks: folder relative image paths are resolved against (default: the data file\'s folder)' })
    .option('routing', { type: 'boolean', describe: 'also write eval-time routing logs: eval/routing (item × option × MoE layer) and eval/routes (per-token routes of a sample of items); one sequence per forward' })
    .option('routes-sample', { type: 'string', requiresArg: true, coerce: single('routes-sample'), describe: 'share of items whose per-token routes are kept (default 0.05; with --routing)' })
    .epilog(EXIT_CODES_HELP);
}

export type EvalArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

export function parseCheckpoint(v: string | undefined): CheckpointChoice {
  if (v === undefined || v === 'last') return 'last';
  if (v === 'all') return 'all';
  return v.split(',').map((s) => {
    const m = /^(?:step-)?(\d+)$/.exec(s.trim());
    if (!m) throw new UsageError(`--checkpoint: expected last, all or step-N[,step-M...], got "${s}"`, 'eval');
    return Number(m[1]);
  });
}

export async function evaluate(args: EvalArgs, io: Io): Promise<number> {
  if (args.runDir === undefined) throw new UsageError('missing RUN_DIR', 'eval');
  const { evalTaskNames: lmTaskNames } = await import('../../eval/tasks/registry.js');
  const { vlmTaskNames } = await import('../../eval/vlm/tasks/registry.js');
  const known: string[] = [...lmTaskNames(), ...vlmTaskNames()];
  if (!args.tasks) throw new UsageError(`missing --tasks (any of: ${known.join(', ')})`, 'eval');
  const tasks = args.tasks.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = tasks.filter((t) => !known.includes(t));
  if (unknown.length) throw new UsageError(`unknown task ${unknown.join(', ')}; known: ${known.join(', ')}`, 'eval');
  const taskFiles: Record<string, string[]> = {};
  for (const f of args.file ?? []) {
    const eq = f.indexOf('=');
    const task = f.slice(0, eq);
    if (eq < 1 || !tasks.includes(task)) throw new UsageError(`--file expects TASK=PATH for a task in --tasks, got "${f}"`, 'eval');
    (taskFiles[task] ??= []).push(resolve(f.slice(eq + 1)));
  }
  const rateText = args.routesSample;
  const rate = rateText === undefined ? 0.05 : Number(rateText);
  if (!(rate >= 0 && rate <= 1)) throw new UsageError(`--routes-sample must be a fraction in [0, 1], got "${rateText}"`, 'eval');
  if (rateText !== undefined && !args.routing) throw new UsageError('--routes-sample needs --routing', 'eval');
  const { runEval } = await import('./run-eval.js');
  const runDir = resolve(args.runDir);
  const summary = await runEval({
    runDir,
    tasks,
    checkpoints: parseCheckpoint(args.checkpoint),
    dataDir: resolve(args.data ?? 'data/eval'),
    taskFiles,
    ...(args.limit !== undefined ? { limit: args.limit as unknown as number } : {}),
    ...(args.batchSize !== undefined ? { batchSize: args.batchSize as unknown as number } : {}),
    ...(args.backend !== undefined ? { backend: args.backend as BackendRequest } : {}),
    ...(args.onBadRow !== undefined ? { onBadRow: args.onBadRow as 'fail' | 'skip' } : {}),
    ...(args.routing ? { routing: { tokenSampleRate: rate } } : {}),
    ...(args.maxNewTokens !== undefined ? { maxNewTokens: args.maxNewTokens as unknown as number } : {}),
    ...(args.images !== undefined ? { imageDir: resolve(args.images) } : {}),
    log: io.err,
  });
  const done = summary.outcomes.filter((x) => x.status === 'done').length;
  const skipped = summary.outcomes.length - done;
  io.err(`eval ${summary.runId} (${summary.backend}): ${done} task×checkpoint evaluated, ${skipped} already in eval/results → ${resolve(runDir, 'eval')}\n`);
  return EXIT.ok;
}

export const handler = verbHandler<EvalArgs>('eval', evaluate);

/** `pipeline eval ...` with injectable output (tests): same parser, same work. */
export function evalCommand(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'eval', argv, io, (args, verbIo) => evaluate(args as EvalArgs, verbIo));
}
