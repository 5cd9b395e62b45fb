/**
 * `pipeline report RUN_DIR`: plots and a text summary of a run's statistics. The yargs module
 * loads nothing heavy; DuckDB and vega come in with `write-report.ts` when the verb runs.
 */
import { resolve } from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../shared/errors.js';
import { single } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';

export const command = 'report [run-dir]';
export const describe = 'plots (PNG) and a text summary of a run\'s statistics';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline report RUN_DIR [--out DIR]

Read the statistics of a run (runs/<run-id>/, Parquet, via DuckDB) and write:
  loss.png           train loss per step and eval loss
  aux.png            each auxiliary loss (summed over layers) per step
  expert-load.png    share of token-slots per expert over training, one heatmap per layer
  entropy.png        router entropy per layer (top-k normalised by log K; full distribution)
  maxvio.png         load imbalance (MaxVio) per layer
  domains.png        domain × expert load per layer (second half of training)
  report.md          a text summary linking the plots
Works on a run in progress (it reads the parts flushed so far).`)
    .positional('run-dir', { type: 'string', describe: 'the run directory (runs/<run-id>)' })
    .option('out', { type: 'string', requiresArg: true, coerce: single('out'), describe: 'where to write (default: RUN_DIR/report)' })
    .epilog(EXIT_CODES_HELP);
}

export type ReportArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

export async function report(args: ReportArgs, io: Io): Promise<number> {
  if (args.runDir === undefined) throw new UsageError('missing RUN_DIR (e.g. pipeline report runs/quickstart-20261122-101500)', 'report');
  const { writeReport } = await import('./write-report.js');
  const r = await writeReport(resolve(args.runDir), args.out !== undefined ? resolve(args.out) : undefined);
  io.out(`${r.summary}\nwrote ${r.files.length} files to ${r.dir}: ${r.files.join(', ')}\n`);
  return EXIT.ok;
}

export const handler = verbHandler<ReportArgs>('report', report);

/** `pipeline report ...` with injectable output (tests). */
export function reportCommand(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'report', argv, io, (args, verbIo) => report(args as ReportArgs, verbIo));
}
