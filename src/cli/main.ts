/** `pipeline`: the moeflow command line. Each verb lives in its own file; this only dispatches. */
import { ConfigError } from '../config/load.js';
import { OverrideError } from '../config/overrides.js';
import { EXIT, NotAvailableError, UsageError } from './shared/errors.js';
import { COMPARE_HELP, EVAL_HELP, REPORT_HELP, RUN_HELP, TOKENIZER_HELP } from './shared/help.js';
import { moeflowVersion } from './shared/versions.js';

export const MAIN_HELP = `Usage: pipeline <command> [options]

moeflow: LibMoE's MoE routers as a TypeScript dataflow pipeline
(streaming data → MoE training on TensorFlow.js → routing statistics in Parquet).

Commands:
  run FILE              train a pipeline (YAML); writes runs/<run-id>/
  report RUN_DIR        plots (PNG) and a text summary of a run's statistics
  eval RUN_DIR ...      zero-shot evaluation of a run's checkpoints (LibMoE's LM tasks)
  compare RUN_DIR...    LibMoE's paper table (and plot) across evaluated runs
  tokenizer train ...   train a tokenizer on a sample of data files
  inspect ...           look at the items a pipeline's data flow produces

Options:
  -h, --help            help (also: pipeline <command> --help)
  -v, --version         print the version

Docs: docs/run.md (pipelines, run directory, Parquet tables, DuckDB examples), docs/eval.md.`;

type Command = (argv: string[]) => Promise<number>;

/** Verbs load lazily so `pipeline --help` does not pay for DuckDB, Arrow or TensorFlow.js. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run/command.js')).runCommand,
  report: async () => (await import('./report/command.js')).reportCommand,
  eval: async () => (await import('./eval/command.js')).evalCommand,
  compare: async () => (await import('./compare/command.js')).compareCommand,
  tokenizer: async () => (await import('./tokenizer/command.js')).tokenizerCommand,
  inspect: async () => (await import('./inspect/command.js')).inspectCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    process.stdout.write(`${MAIN_HELP}\n`);
    return verb === undefined ? EXIT.usage : EXIT.ok;
  }
  if (verb === '-v' || verb === '--version' || verb === 'version') {
    process.stdout.write(`moeflow ${moeflowVersion()}\n`);
    return EXIT.ok;
  }
  const help: Record<string, string> = { run: RUN_HELP, report: REPORT_HELP, eval: EVAL_HELP, compare: COMPARE_HELP, tokenizer: TOKENIZER_HELP };
  if (help[verb] && rest.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${help[verb]}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[verb];
  if (!load) {
    process.stderr.write(`pipeline: unknown command "${verb}". Commands: ${Object.keys(COMMANDS).join(', ')}. See pipeline --help.\n`);
    return EXIT.usage;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    return reportError(e, verb);
  }
}

/** One clear message per failure class; a stack trace only for unexpected errors (or MOEFLOW_DEBUG=1). */
export function reportError(e: unknown, verb: string): number {
  const write = (s: string): boolean => process.stderr.write(s);
  if (e instanceof UsageError) {
    write(`pipeline ${e.verb ?? verb}: ${e.message}\nSee: pipeline ${e.verb ?? verb} --help\n`);
    return EXIT.usage;
  }
  if (e instanceof OverrideError) {
    write(`pipeline ${verb}: ${e.message}\n`);
    return EXIT.usage;
  }
  if (e instanceof ConfigError) {
    write(`pipeline ${verb}: ${e.message}\n`);
    return EXIT.usage;
  }
  if (e instanceof NotAvailableError) {
    write(`pipeline ${verb}: ${e.message}\n`);
    return EXIT.notAvailable;
  }
  const err = e as Error;
  write(`pipeline ${verb}: ${err?.message ?? String(e)}\n`);
  if (process.env.MOEFLOW_DEBUG) write(`${err?.stack ?? ''}\n`);
  return EXIT.failed;
}
