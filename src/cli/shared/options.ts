/**
 * Option value checks shared by the verbs, as yargs `coerce` functions: a bad value is a usage
 * error naming the option (exit 2), before any work starts.
 */
import { UsageError } from './errors.js';

/** An integer option at least `min` (`--seq-len 1024`); `dflt` when absent. */
export function integerAtLeast(name: string, min: number): (v: unknown) => number {
  return (v) => {
    const text = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new UsageError(`--${name}: expected ${min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`}, got "${text}"`);
    }
    return n;
  };
}

/** A repeatable string option (`--set a=1 --set b=2`): always a list. */
export function stringList(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A string option given once (a repeated one is a mistake worth naming, not a silent "last wins"). */
export function single(name: string): (v: unknown) => string {
  return (v) => {
    if (Array.isArray(v)) throw new UsageError(`--${name} given ${v.length} times; give it once`);
    return String(v);
  };
}
