/** Tolerances of ../shared/golden/README.md §3 for a float32 implementation. */
export const FORWARD: Tolerance = { rtol: 1e-4, atol: 1e-5 };
export const GRADIENT: Tolerance = { rtol: 5e-3, atol: 2e-5 };

export interface Tolerance { rtol: number; atol: number }
/** Extra bound on every aux entry: |got − want| ≤ 1e-3·|want|. */
export const AUX_REL = 1e-3;

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** max|got − want| ≤ rtol·max|want| + atol over the tensor. */
export function closeTensor(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: { rtol: number; atol: number }): Check {
  if (got.length !== want.length) return { name, ok: false, detail: `size ${got.length} ≠ expected ${want.length}` };
  let maxErr = 0;
  let maxWant = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const err = Number.isNaN(g) ? Infinity : Math.abs(g - w);
    if (err > maxErr) { maxErr = err; at = i; }
    maxWant = Math.max(maxWant, Math.abs(w));
  }
  const bound = tol.rtol * maxWant + tol.atol;
  const ok = maxErr <= bound;
  return { name, ok, detail: ok ? `max err ${maxErr.toExponential(2)} ≤ ${bound.toExponential(2)}` : `max err ${maxErr.toExponential(2)} > ${bound.toExponential(2)} at ${at} (got ${got[at]}, want ${want[at]})` };
}

export function exactInts(name: string, got: ArrayLike<number>, want: ArrayLike<number>): Check {
  if (got.length !== want.length) return { name, ok: false, detail: `size ${got.length} ≠ expected ${want.length}` };
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) return { name, ok: false, detail: `differs at ${i}: got ${got[i]}, want ${want[i]}` };
  }
  return { name, ok: true, detail: 'exact' };
}

/** Aux entry: the forward tolerance and the relative bound. */
export function closeAux(name: string, got: number, want: number): Check[] {
  const rel = Math.abs(got - want);
  return [
    closeTensor(name, [got], [want], FORWARD),
    { name: `${name} (relative)`, ok: rel <= AUX_REL * Math.abs(want), detail: `|Δ| ${rel.toExponential(2)} vs ${(AUX_REL * Math.abs(want)).toExponential(2)} (got ${got}, want ${want})` },
  ];
}
