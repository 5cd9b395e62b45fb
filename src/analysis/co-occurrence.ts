/**
 * Expert co-occurrence (LibMoE LM `moe_layer.py` `expert_coocurence`, libmoe.md §6.1):
 * C[i][j] = tokens that picked both i and j; C[i][i] = tokens that picked i. Row-normalised by
 * the diagonal, so row i reads "of the tokens that went to i, the fraction that also went to j".
 * LibMoE clamps the divisor at 1, so an unused expert's row is all zeros; we do the same.
 */
import type { Routes } from './routes.js';

/** E×E counts, row-major. */
export function coOccurrenceCounts(r: Routes): Float64Array {
  const E = r.experts;
  const c = new Float64Array(E * E);
  for (let t = 0; t < r.tokens; t++) {
    for (let i = 0; i < r.k; i++) {
      const a = r.selected[t * r.k + i]!;
      for (let j = 0; j < r.k; j++) c[a * E + r.selected[t * r.k + j]!]! += 1;
    }
  }
  return c;
}

/** E×E, row-major: C[i][j] / max(C[i][i], 1). The diagonal is 1 for every used expert. */
export function coOccurrence(r: Routes): Float64Array {
  const E = r.experts;
  const c = coOccurrenceCounts(r);
  for (let i = 0; i < E; i++) {
    const d = Math.max(c[i * E + i]!, 1);
    for (let j = 0; j < E; j++) c[i * E + j]! /= d;
  }
  return c;
}
