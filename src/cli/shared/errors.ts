/** Exit codes of `pipeline` (docs/run.md). */
export const EXIT = {
  ok: 0,
  /** The work itself failed (training error, unreadable data, I/O). */
  failed: 1,
  /** The command line or the pipeline file is wrong: nothing was run. */
  usage: 2,
  /** A part of this build is missing (e.g. an optional verb module; see the message). */
  notAvailable: 3,
  /** Interrupted (Ctrl-C): what was flushed is on disk; resume with --resume. */
  interrupted: 130,
} as const;

/** Wrong command line: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly verb?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A feature whose module is not part of this build (e.g. `pipeline inspect` without src/cli/inspect/command.ts). */
export class NotAvailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAvailableError';
  }
}
