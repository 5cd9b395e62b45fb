/** Exit codes of `pipeline` (docs/run.md). */
export const EXIT = {
  ok: 0,
  /** The work itself failed (training error, unreadable data, I/O). */
  failed: 1,
  /** The command line, the pipeline file or its input files are wrong: nothing was run. */
  usage: 2,
  /** A part of this build is missing (e.g. an optional verb module; see the message). */
  notAvailable: 3,
  /** Interrupted (Ctrl-C): what was flushed is on disk; resume with --resume. */
  interrupted: 130,
} as const;

/** The exit codes as every verb's help states them. */
export const EXIT_CODES_HELP = 'Exit codes: 0 done, 1 failed, 2 bad command line, pipeline or input files (nothing was run), 3 not available in this build, 130 interrupted.';

/** Wrong command line: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly verb?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Input a command needs is missing or unusable (a data glob matching no file, an unreadable
 * tokenizer, an output folder that cannot be written), found before any work started: exit 2.
 * One line per problem, each naming the key or option and the path.
 */
export class InputError extends Error {
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`${source}: cannot run\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'InputError';
  }
}

/** A feature whose module is not part of this build. */
export class NotAvailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAvailableError';
  }
}
