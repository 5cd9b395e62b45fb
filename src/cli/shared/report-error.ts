/** One clear message per failure class, and its exit code (src/cli/shared/errors.ts). */
import { ConfigError } from '../../config/config-error.js';
import { OverrideError } from '../../config/overrides.js';
import { EXIT, InputError, NotAvailableError, UsageError } from './errors.js';

/** Writes the message for `e` to `write` and returns the exit code; a stack trace only for unexpected errors with MOEFLOW_DEBUG=1. */
export function reportError(e: unknown, verb: string, write: (s: string) => void): number {
  if (e instanceof UsageError) {
    const v = e.verb ?? verb;
    write(`pipeline ${v}: ${e.message}\nSee: pipeline ${v} --help\n`);
    return EXIT.usage;
  }
  if (e instanceof OverrideError || e instanceof ConfigError || e instanceof InputError) {
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
