/**
 * `pipeline compare RUN_DIR... [--out DIR]`: LibMoE's paper table across evaluated runs. A yargs
 * command module plus `compareCommand(argv, io)` for tests; the work is `runCompare`
 * (run-compare.ts), imported when the verb runs.
 */
import { resolve } from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../shared/errors.js';
import { single } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';

export type { RunCompareOptions } from './run-compare.js';

export const command = 'compare [run-dirs..]';
export const describe = 'LibMoE\'s paper table (PPL, task accuracies, AVG Acc, AVG Rank, routing) across evaluated runs';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline compare RUN_DIR RUN_DIR... [--out DIR]

LibMoE's paper table across runs evaluated with pipeline eval: validation PPL, each task's
accuracy × 100 (LibMoE's group average; LAMBADA total), AVG Acc, AVG Rank (PPL ascending and each
accuracy descending, ties averaged), and end-of-training routing (mean entropy, MaxVio, dead
experts). Each run's latest evaluated checkpoint is used; runs scored on different task sets,
--limit values or checkpoint steps are refused, naming the difference.

Writes compare.md (also printed), compare.csv, compare.parquet and compare.png (per-task scores
by router).`)
    .positional('run-dirs', { type: 'string', array: true, describe: 'two or more run directories' })
    .option('out', { type: 'string', requiresArg: true, coerce: single('out'), describe: 'where to write (default: ./compare)' })
    .epilog(EXIT_CODES_HELP);
}

export type CompareArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

export async function compare(args: CompareArgs, io: Io): Promise<number> {
  const dirs = (args.runDirs ?? []).map(String);
  if (dirs.length < 2) throw new UsageError(`give at least two RUN_DIRs to compare (got ${dirs.length})`, 'compare');
  const { runCompare } = await import('./run-compare.js');
  const r = await runCompare({ runDirs: dirs.map((p) => resolve(p)), outDir: resolve(args.out ?? 'compare') });
  io.out(r.markdown);
  io.err(`compare: ${r.rows.length} runs × ${r.tasks.length} tasks → ${r.files.join(', ')}\n`);
  return EXIT.ok;
}

export const handler = verbHandler<CompareArgs>('compare', compare);

/** `pipeline compare ...` with injectable output (tests). */
export function compareCommand(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'compare', argv, io, (args, verbIo) => compare(args as CompareArgs, verbIo));
}
