/**
 * The environment for a child process whose output a test compares.
 *
 * `node --test` run from a terminal sets FORCE_COLOR for its test processes, and a child
 * inherits it: `console.log(1)` then prints '\x1b[33m1\x1b[39m' even into a pipe. Comparisons
 * must not depend on whether the suite happens to run in a terminal, so children get no colour.
 */
export function plainChildEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.FORCE_COLOR;
  return env;
}
