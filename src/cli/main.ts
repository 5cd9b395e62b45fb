/**
 * `pipeline`: the moeflow command line. Each verb is a yargs command module in
 * src/cli/<verb>/command.ts; this file only registers them and maps the outcome to an exit code.
 * Verb modules import nothing heavy at load time, so `pipeline --help` (and a verb's --help)
 * does not pay for DuckDB, Arrow or TensorFlow.js.
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, EXIT_CODES_HELP } from './shared/errors.js';
import { baseParser, dispatch, processIo, type Io } from './shared/verb.js';
import * as analyze from './analyze/command.js';
import * as compare from './compare/command.js';
import * as evaluate from './eval/command.js';
import * as inspect from './inspect/command.js';
import * as report from './report/command.js';
import * as run from './run/command.js';
import * as sweep from './sweep/command.js';
import * as tokenizer from './tokenizer/command.js';

const VERBS: Readonly<Record<string, CommandModule<object, never>>> = { run, eval: evaluate, compare, sweep, analyze, report, tokenizer, inspect } as never;

function parser(): Argv {
  let y = baseParser()
    .usage(`Usage: pipeline <command> [options]

moeflow: LibMoE's MoE routers as a TypeScript dataflow pipeline
(streaming data → MoE training on TensorFlow.js → routing statistics in Parquet).`);
  for (const verb of Object.values(VERBS)) y = y.command(verb as CommandModule);
  return y
    .completion('completion', 'print a bash/zsh completion script (pipeline completion >> ~/.bashrc)')
    .demandCommand(1, 'expected a command')
    .epilog(`Every command takes --help. Docs: docs/run.md (pipelines, run directory, Parquet tables, DuckDB examples).\n${EXIT_CODES_HELP}`);
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    // A bare `pipeline` is a question, not a command: answer with the help, but say it ran nothing.
    io.out(`${await parser().getHelp()}\n`);
    return EXIT.usage;
  }
  // yargs' strict mode would say "Unknown argument"; a mistyped verb deserves the list of verbs.
  const known = [...Object.keys(VERBS), 'completion', '--get-yargs-completions'];
  if (!first.startsWith('-') && !known.includes(first)) {
    io.err(`pipeline: unknown command "${first}". Commands: ${Object.keys(VERBS).join(', ')}. See pipeline --help.\n`);
    return EXIT.usage;
  }
  return dispatch(parser(), argv, io, Object.keys(VERBS));
}
