/**
 * `pipeline run FILE` / `pipeline run --resume RUN_DIR`: train a pipeline into runs/<run-id>/.
 * The verb shape every command follows (docs/run.md, "Adding a verb"): a yargs command module
 * (command, describe, builder, handler) plus `runCommand(argv, deps)` for tests. This file loads
 * nothing heavy: the steps are imported when the verb runs, so `--help` stays fast.
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { EXIT, EXIT_CODES_HELP } from '../shared/errors.js';
import { single, stringList } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';
import type { TrainerDriver } from './train-context.js';

export type { RunPipelineOptions, RunSummary } from './run-pipeline.js';
export type { TrainContext, TrainerDriver } from './train-context.js';

export const command = 'run [file]';
export const describe = 'train a pipeline (YAML); writes runs/<run-id>/';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline run FILE [options]
Usage: pipeline run --resume RUN_DIR [options]

Train the pipeline in FILE (YAML, see docs/run.md) and write runs/<run-id>/:
config.yaml, metrics-*.parquet, eval-*.parquet, routing/*.parquet, checkpoints/.
With an eval: section, then score the final checkpoint (every one with eval.every: true) on
its zero-shot tasks into eval/ (as pipeline eval; docs/eval.md).`)
    .positional('file', { type: 'string', describe: 'the pipeline YAML file' })
    .option('set', { type: 'string', requiresArg: true, coerce: stringList, describe: 'override a key (repeatable): --set KEY.PATH=VALUE; VALUE is YAML: 3e-4, true, [a.jsonl.zst,b.jsonl.zst]' })
    .option('out', { type: 'string', requiresArg: true, coerce: single('out'), describe: 'runs directory (default: out.dir of the pipeline, "runs")' })
    .option('backend', { type: 'string', requiresArg: true, choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'], describe: 'same as --set trainer.backend=NAME' })
    .option('resume', { type: 'string', requiresArg: true, coerce: single('resume'), describe: 'continue RUN_DIR from its last checkpoint; statistics written after that checkpoint by the interrupted run are removed first' })
    .option('dry-run', { type: 'boolean', describe: 'validate the pipeline and check its inputs (data files, tokenizer, output folder); print the resolved pipeline; create nothing' })
    .epilog(EXIT_CODES_HELP);
}

export type RunArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

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

/** The verb, step by step. Every step before `startRun` creates nothing; a failure there is exit 2. */
export async function run(args: RunArgs, deps: RunCommandDeps, io: Io): Promise<number> {
  const { resolveRun } = await import('./resolve-run.js');
  const { checkRunInputs } = await import('./preflight.js');
  const plan = await resolveRun({
    ...(args.file !== undefined ? { file: args.file } : {}), ...(args.set ? { set: args.set } : {}), ...(args.out !== undefined ? { out: args.out } : {}),
    ...(args.backend !== undefined ? { backend: args.backend } : {}), ...(args.resume !== undefined ? { resume: args.resume } : {}),
  });
  checkRunInputs(plan);
  await (await import('./eval-preflight.js')).checkEvalInputs(plan);
  if (args.dryRun) {
    (await import('./dry-run.js')).dryRunReport(plan, io);
    return 0;
  }
  const trainer = deps.trainer ?? (plan.config.model.vlm ? (await import('./vlm-driver.js')).vlmDriver : (await import('./driver.js')).trainDriver);
  const started = await (await import('./start-run.js')).startRun(plan, deps.now);
  const tty = deps.tty ?? Boolean(process.stderr.isTTY);
  const trained = await (await import('./train-with-signals.js')).trainWithSignals(started, io, {
    trainer, tty, progressEveryMs: deps.progressEveryMs ?? (tty ? 250 : 10_000),
  });
  // An interrupted run is not evaluated: its last checkpoint is not its final one (--resume finishes both).
  if (trained !== EXIT.ok || !plan.config.eval) return trained;
  return (await import('./evaluate-run.js')).evaluateRun(started, io);
}

export const handler = verbHandler<RunArgs>('run', (args, io) => run(args, {}, io));

/** `pipeline run ...` with injectable trainer and output (tests): same parser, same steps. */
export function runCommand(argv: readonly string[], deps: RunCommandDeps = {}): Promise<number> {
  const io: Io = { out: deps.stdout ?? processIo.out, err: deps.stderr ?? processIo.err };
  return runVerb({ command, describe, builder }, 'run', argv, io, (args, verbIo) => run(args as RunArgs, deps, verbIo));
}
