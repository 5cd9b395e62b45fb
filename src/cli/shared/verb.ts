/**
 * The one way a verb is parsed and run (yargs). Every verb file `src/cli/<verb>/command.ts`
 * exports a yargs command module — `command`, `describe`, `builder`, `handler` — and an
 * injectable function for tests (`runCommand(argv, deps)`, `inspectCommand(argv, io)` ...) that
 * parses with the same builder through `runVerb`. The pattern is written down in docs/run.md
 * ("Adding a verb").
 *
 * Output is stable with and without a TTY: English messages whatever the locale, a fixed help
 * width, no colours (yargs has none), and help/version/usage errors written through the verb's
 * `Io` instead of yargs' console logger.
 */
import yargs, { type Argv, type ArgumentsCamelCase, type CommandModule } from 'yargs';
import { EXIT, UsageError } from './errors.js';
import { reportError } from './report-error.js';
import { moeflowVersion } from './versions.js';

/** Where a verb writes. The CLI passes the process streams; tests collect strings. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** A live status line, rewritten in place; only where stderr is a terminal. */
  readonly progress?: (s: string) => void;
}

export const processIo: Io = {
  out: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s); },
  ...(process.stderr.isTTY ? { progress: (s: string) => { process.stderr.write(`\r${s}\x1b[K`); } } : {}),
};

/** What a verb's work returns: an exit code (src/cli/shared/errors.ts). Throwing is fine too: the error is mapped to its code. */
export type VerbWork<A> = (args: ArgumentsCamelCase<A>, io: Io) => Promise<number>;

/** Carried to the handler in yargs' parse context (merged into its argv). */
interface VerbContext {
  readonly io: Io;
  readonly outcome: { code: number };
}

/** A yargs handler that runs `work` and records its exit code; errors become a message and a code, never a rejection. */
export function verbHandler<A>(verb: string, work: VerbWork<A>): (args: ArgumentsCamelCase<A>) => Promise<void> {
  return async (args) => {
    const { io, outcome } = args as unknown as VerbContext;
    try {
      outcome.code = await work(args, io);
    } catch (e) {
      outcome.code = reportError(e, verb, io.err);
    }
  };
}

/** The parser settings every entry point shares. */
export function baseParser(): Argv {
  return yargs()
    .scriptName('pipeline')
    .locale('en') // also turns off locale detection: messages are the same on every machine
    .wrap(100) // not the terminal's width: the same help with and without a TTY
    .strict()
    .help('help', 'show this help').alias('h', 'help')
    .version('version', 'print the version', `moeflow ${moeflowVersion()}`).alias('v', 'version');
}

/**
 * Parse `argv` with `parser` and run the chosen command's handler. Help and version go to
 * `io.out` (exit 0); a usage error names the verb (`argv[0]` when it is one of `verbs`) and
 * points to its --help (exit 2).
 */
export async function dispatch(parser: Argv, argv: readonly string[], io: Io, verbs: readonly string[]): Promise<number> {
  const outcome = { code: EXIT.ok as number };
  let failure: Error | undefined;
  let output = '';
  await parser.parseAsync([...argv], { io, outcome } satisfies VerbContext, (err, _args, text) => {
    failure = err ?? undefined;
    output = text;
  });
  const verb = verbs.includes(argv[0] ?? '') ? argv[0] : undefined;
  if (failure) {
    const message = failure instanceof UsageError ? failure.message : readableYargsMessage(failure.message, argv);
    const where = verb ? `pipeline ${verb}` : 'pipeline';
    io.err(`${where}: ${message}\nSee: ${where} --help\n`);
    return EXIT.usage;
  }
  if (output) io.out(`${output}\n`);
  return outcome.code;
}

/** Parse and run one verb alone: what the injectable verb functions (`runCommand(argv, deps)` ...) call. */
export function runVerb<A>(module: Omit<CommandModule<object, A>, 'handler'>, verb: string, argv: readonly string[], io: Io, work: VerbWork<A>): Promise<number> {
  const parser = baseParser().command({ ...module, handler: verbHandler(verb, work) } as CommandModule).demandCommand(1);
  return dispatch(parser, [verb, ...argv], io, [verb]);
}

/** yargs' messages in the house style: options spelled with their dashes, one line ("unknown option --sett", not "Unknown argument: sett"). */
function readableYargsMessage(message: string, argv: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    const names = unknown[1]!.split(', ').map((n) => (argv.includes(n) ? `argument "${n}"` : `option ${n.length === 1 ? '-' : '--'}${n}`));
    return `unknown ${names.join(', ')}`;
  }
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive/.exec(message);
  if (exclusive) return `give either --${exclusive[1]} or --${exclusive[2]}, not both`;
  const invalid = /Argument: (\S+), Given: (.*), Choices: (.*)$/m.exec(message);
  if (invalid) return `--${invalid[1]}: expected one of ${invalid[3]}, got ${invalid[2]}`;
  const missing = /^Missing required arguments?: ([^\n]*?)(\n|$)/.exec(message);
  if (missing) return `missing ${missing[1]!.split(', ').map((n) => `--${n}`).join(', ')}`;
  return message.replace(/\s*\n\s*/g, ' ');
}
