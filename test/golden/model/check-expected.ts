/**
 * Compares what a component computed with EVERY entry of a model-level case's `expected`
 * (README §9.2: entry by entry along the dotted path), so a runner cannot forget a key:
 * an expected tensor or number with no computed value fails unless the runner names it in
 * `unchecked` with the reason. Tolerances follow §9.4: `grads.*` the gradient ones, integer
 * entries (selections, labels, masks, position ids) exact, `aux.*` also relatively, the rest
 * the forward ones; an expected `null` must be computed as `null`.
 */
import { closeAux, closeTensor, exactInts, type Check } from '../compare.js';
import { isEncodedTensor, leaves, values, type ModelCase, type ModelValue } from './model-case.js';
import { MODEL_FORWARD, MODEL_GRADIENT } from './tolerances.js';

/** A computed value on the host: a float or integer array, a number, a flag, or null (LibMoE's None). */
export type Got = ArrayLike<number> | number | boolean | null;

export interface ExpectedOptions {
  /** Dotted path → why this expected entry is not compared (said once, in the check list). */
  readonly unchecked?: Readonly<Record<string, string>>;
}

export function checkExpected(c: ModelCase, got: ReadonlyMap<string, Got>, opts: ExpectedOptions = {}): Check[] {
  const checks: Check[] = [];
  const unchecked = opts.unchecked ?? {};
  for (const { path, value } of leaves(c.expected)) {
    if (path in unchecked) { checks.push({ name: path, ok: true, detail: `not compared: ${unchecked[path]}` }); continue; }
    const g = got.get(path);
    if (g === undefined || g === null || typeof g === 'boolean') { checks.push({ name: path, ok: false, detail: g === undefined ? 'not computed' : `computed ${g}, expected a value` }); continue; }
    checks.push(...compareOne(path, g, value));
  }
  for (const { path, want } of scalarFlags(c.expected)) {
    if (path in unchecked) { checks.push({ name: path, ok: true, detail: `not compared: ${unchecked[path]}` }); continue; }
    const g = got.get(path);
    checks.push({ name: path, ok: g === want, detail: g === want ? `${want} as expected` : `got ${g === undefined ? 'nothing' : String(g)}, expected ${want}${want === null ? ' (LibMoE returned None)' : ''}` });
  }
  return checks;
}

function compareOne(path: string, g: ArrayLike<number> | number, want: ReturnType<typeof leaves>[number]['value']): Check[] {
  const gotArr = typeof g === 'number' ? [g] : g;
  if (typeof want === 'number') {
    if (path.startsWith('aux.')) return closeAux(path, gotArr[0]!, want);
    return [closeTensor(path, gotArr, [want], path.startsWith('grads.') ? MODEL_GRADIENT : MODEL_FORWARD)];
  }
  const w = values(want);
  if (want.dtype === 'int64' || want.dtype === 'uint8') return [exactInts(path, gotArr, w)];
  return [closeTensor(path, gotArr, w, path.startsWith('grads.') ? MODEL_GRADIENT : MODEL_FORWARD)];
}

/** The `null` (LibMoE's `None`) and boolean entries with their dotted paths, which `leaves` skips. */
function scalarFlags(root: ModelValue, prefix = ''): Array<{ path: string; want: boolean | null }> {
  if (root === null || typeof root === 'boolean') return [{ path: prefix, want: root }];
  if (typeof root !== 'object' || Array.isArray(root) || isEncodedTensor(root)) return [];
  return Object.entries(root).flatMap(([k, v]) => scalarFlags(v, prefix ? `${prefix}.${k}` : k));
}
