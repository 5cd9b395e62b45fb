/**
 * `pipeline analyze RUN_DIR`: routing analysis of a run's checkpoints on a fixed probe set
 * (docs/analysis.md). The verb shape of docs/run.md ("Adding a verb"); this file loads nothing
 * heavy, the work is `runAnalyze` (run-analyze.ts), imported when the verb runs.
 */
import { resolve } from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { BackendRequest } from '../../models/backend.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../shared/errors.js';
import { integerAtLeast, single, stringList } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';
import type { CheckpointChoice } from '../eval/run-eval.js';
import { probeKind } from './probe-kind.js';

export const command = 'analyze [run-dirs..]';
export const describe = 'routing analysis of a run\'s checkpoints on a probe set (dynamics, specialisation, structure, expert-weight ANI, DropTop ablation); writes RUN_DIR/analysis/';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline analyze RUN_DIR [--probe FILES|TASKS] [--checkpoints all|step-N,...] [options]
       pipeline analyze --compare RUN_DIR RUN_DIR... [--out DIR] [options]

Runs a fixed probe set (the run's held-out documents, or --probe SlimPajama files: documents by
domain; or --probe TASKS: evaluation items, e.g. --probe piqa,arc_easy --data DIR, each item's
text with its gold answer, by task) through each chosen checkpoint in evaluation mode, records
every token's route in every MoE layer, and writes RUN_DIR/analysis/:
  dynamics.parquet        switch / overlap / position match between consecutive checkpoints, saturation
  specialisation.parquet  per domain × expert share of tokens against uniform (OLMoE)
  vocabulary.parquet      per token id route concentration
  cooccurrence.parquet    expert co-occurrence, row-normalised (LibMoE)
  layers.parquet          layer similarity (LibMoE usage overlap, token Jaccard)
  universality.parquet    LibMoE's universality score and optimist variant
  usage.parquet           dead-expert proportion and usage perplexity over token windows
  ablation.parquet        DropTop-1 and DropTop-1&2 probe perplexity against the intact model
  ablation_accuracy.parquet  with --probe TASKS: each task's accuracy intact, DropTop-1, DropTop-1&2
  ani.parquet             average normalised inner product of expert keys, values, selection weights (LibMoE ani/*)
  relu.parquet            ReLU pass rate of ReLU experts' hidden units (LibMoE relu_pass_rate)
  coactivation.png, layer-similarity.png, dynamics.png, specialisation.png, ablation.png,
  ablation-accuracy.png (--probe TASKS), analysis.md
Every table has run_id and the checkpoint step; per-layer tables have component and layer.

A vision-language run (model.vlm) is analysed per component: its probe is the run's held-out
image-text records (data.heldOut.files), or --probe LLaVA .json/.jsonl files (images under
--images DIR, default the run's llava source's); each probe file is one domain. Every MoE
layer routes its own tokens: component vision (tower encoder layer i), projector, and
language_model (decoder block i, image-feature rows and text tokens, specialisation split by
modality). DropTop measures the answer tokens' perplexity. Docs: docs/analysis.md.

--compare analyses each run on the same probe documents (--probe, else the first run's held-out
documents) and writes OUT/analysis-compare.md and OUT/analysis-compare.png (runs side by side).`)
    .positional('run-dirs', { type: 'string', array: true, describe: 'the run directory (runs/<run-id>); with --compare, two or more' })
    .option('compare', { type: 'boolean', default: false, describe: 'line several runs up on the same probe set' })
    .option('out', { type: 'string', requiresArg: true, coerce: single('out'), describe: 'with --compare: where to write (default: ./analysis-compare)' })
    .option('probe', { type: 'string', requiresArg: true, coerce: stringList, describe: 'SlimPajama files, directories or globs, or evaluation task names (pipeline eval --tasks), for the probe set; a VLM run: LLaVA .json/.jsonl files (repeatable, comma-separated; default: the run\'s held-out documents or records)' })
    .option('images', { type: 'string', requiresArg: true, coerce: single('images'), describe: 'a VLM run with --probe FILES: the folder the records\' image paths are relative to (default: the run\'s llava source\'s images)' })
    .option('data', { type: 'string', requiresArg: true, coerce: single('data'), describe: 'with --probe TASKS: folder holding the task files (default: ./data/eval)' })
    .option('file', { type: 'string', requiresArg: true, coerce: stringList, describe: 'with --probe TASKS: TASK=PATH, a task\'s data file instead of looking in --data (repeatable)' })
    .option('limit', { type: 'string', requiresArg: true, coerce: integerAtLeast('limit', 0), describe: 'with --probe TASKS: only the first N items of each data file (0 = all, the default)' })
    .option('on-bad-row', { type: 'string', requiresArg: true, choices: ['fail', 'skip'], describe: 'with --probe TASKS: fail at the first bad row, naming file and line (default), or skip it, counted' })
    .option('checkpoints', { type: 'string', requiresArg: true, coerce: single('checkpoints'), describe: 'all (default), last, or step-N[,step-M...]' })
    .option('docs-per-domain', { type: 'string', requiresArg: true, coerce: integerAtLeast('docs-per-domain', 1), describe: 'at most N probe documents (a VLM run: records) per domain (default 32)' })
    .option('max-tokens', { type: 'string', requiresArg: true, coerce: integerAtLeast('max-tokens', 1), describe: 'probe tokens kept per document (default: the run\'s data.seqLen)' })
    .option('batch-size', { type: 'string', requiresArg: true, coerce: integerAtLeast('batch-size', 1), describe: 'probe windows (a VLM run: records) per forward pass (default 8)' })
    .option('window', { type: 'string', requiresArg: true, coerce: integerAtLeast('window', 1), describe: 'probe tokens per usage window (dead experts, usage perplexity; default 512)' })
    .option('min-occurrences', { type: 'string', requiresArg: true, coerce: integerAtLeast('min-occurrences', 1), describe: 'token ids seen fewer times are left out of vocabulary.parquet (default 3)' })
    .option('ablation', { type: 'boolean', default: true, describe: 'run DropTop-1 and DropTop-1&2 (--no-ablation to skip: two fewer probe passes per checkpoint)' })
    .option('plots', { type: 'boolean', default: true, describe: 'draw the PNG plots (--no-plots to skip)' })
    .option('backend', { type: 'string', requiresArg: true, choices: ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'], describe: 'default: the run\'s trainer.backend' })
    .epilog(EXIT_CODES_HELP);
}

export type AnalyzeArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

export function parseCheckpoints(v: string | undefined): CheckpointChoice {
  if (v === undefined || v === 'all') return 'all';
  if (v === 'last') return 'last';
  return v.split(',').map((s) => {
    const m = /^(?:step-)?(\d+)$/.exec(s.trim());
    if (!m) throw new UsageError(`--checkpoints: expected all, last or step-N[,step-M...], got "${s}"`, 'analyze');
    return Number(m[1]);
  });
}

export async function analyze(args: AnalyzeArgs, io: Io): Promise<number> {
  const dirs = (args.runDirs ?? []).map(String);
  if (dirs.length === 0) throw new UsageError('missing RUN_DIR (e.g. pipeline analyze runs/quickstart-20261122-101500)', 'analyze');
  if (args.compare && dirs.length < 2) throw new UsageError(`--compare: give at least two RUN_DIRs (got ${dirs.length})`, 'analyze');
  if (!args.compare && dirs.length > 1) throw new UsageError(`${dirs.length} run directories given; analyse one, or give --compare to line them up`, 'analyze');
  if (!args.compare && args.out !== undefined) throw new UsageError('--out is for --compare (a single analysis writes RUN_DIR/analysis/)', 'analyze');
  const checkpoints = parseCheckpoints(args.checkpoints);
  const probe = args.probe ? probeKind(args.probe) : undefined;
  const tasks = probe && 'tasks' in probe ? probe.tasks : undefined;
  if (args.images !== undefined && !(probe && 'files' in probe)) throw new UsageError('--images is for a VLM run\'s --probe FILES (LLaVA .json/.jsonl): the folder their image paths are relative to', 'analyze');
  for (const [flag, given] of [['--data', args.data], ['--file', args.file], ['--limit', args.limit], ['--on-bad-row', args.onBadRow]] as const) {
    if (given !== undefined && !tasks) throw new UsageError(`${flag} is for --probe TASKS (evaluation items); the probe set here is ${probe ? 'SlimPajama files' : 'the run\'s held-out documents'}`, 'analyze');
  }
  const taskFiles: Record<string, string[]> = {};
  for (const f of args.file ?? []) {
    const eq = f.indexOf('=');
    const task = f.slice(0, eq);
    if (eq < 1 || !tasks?.includes(task)) throw new UsageError(`--file expects TASK=PATH for a task in --probe, got "${f}"`, 'analyze');
    (taskFiles[task] ??= []).push(resolve(f.slice(eq + 1)));
  }
  const common = {
    checkpoints,
    ...(probe && 'files' in probe ? { probeFiles: probe.files.map((p) => resolve(p)) } : {}),
    ...(args.images !== undefined ? { images: resolve(args.images) } : {}),
    ...(tasks ? {
      probeTasks: {
        tasks, dataDir: resolve(args.data ?? 'data/eval'), taskFiles,
        ...(args.limit !== undefined ? { limit: args.limit as unknown as number } : {}),
        ...(args.onBadRow !== undefined ? { onBadRow: args.onBadRow as 'fail' | 'skip' } : {}),
      },
    } : {}),
    docsPerDomain: (args.docsPerDomain as unknown as number | undefined) ?? 32,
    ...(args.maxTokens !== undefined ? { maxTokens: args.maxTokens as unknown as number } : {}),
    batchSize: (args.batchSize as unknown as number | undefined) ?? 8,
    windowTokens: (args.window as unknown as number | undefined) ?? 512,
    minOccurrences: (args.minOccurrences as unknown as number | undefined) ?? 3,
    dropTop: args.ablation === false ? [] : [1, 2],
    plots: args.plots !== false,
    ...(args.backend !== undefined ? { backend: args.backend as BackendRequest } : {}),
    log: io.err,
  };
  if (args.compare) {
    const { compareAnalyses } = await import('./compare-analyses.js');
    const outDir = resolve(args.out ?? 'analysis-compare');
    const r = await compareAnalyses({ ...common, runDirs: dirs.map((d) => resolve(d)), outDir });
    io.out(r.markdown);
    io.err(`analyze --compare: ${r.runs.length} runs → ${outDir}: ${r.files.join(', ')}\n`);
    return EXIT.ok;
  }
  const { runAnalyze } = await import('./run-analyze.js');
  const runDir = resolve(dirs[0]!);
  const s = await runAnalyze({ ...common, runDir });
  io.err(`analyze ${s.runId} (${s.backend}): ${s.steps.length} checkpoints × ${s.probeTokens} probe tokens in ${s.totalSeconds.toFixed(1)} s (intact probe passes ${s.probeSeconds.toFixed(1)} s) → ${resolve(runDir, 'analysis')}: ${s.files.join(', ')}\n`);
  return EXIT.ok;
}

export const handler = verbHandler<AnalyzeArgs>('analyze', analyze);

/** `pipeline analyze ...` with injectable output (tests): same parser, same work. */
export function analyzeCommand(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'analyze', argv, io, (args, verbIo) => analyze(args as AnalyzeArgs, verbIo));
}
