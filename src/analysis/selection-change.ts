/**
 * How routes change between two checkpoints on the same probe tokens (LibMoE v2
 * `selection_metrics.py`, libmoe.md §6.4). Each is a mean over tokens of a per-token fraction of
 * the k slots; a token is compared with itself only.
 */
import { assertComparable, type Routes } from './routes.js';

/** Mean over tokens of (slots whose expert differs) / k. Order matters: a swap of the top two picks is a full switch. */
export function switchFraction(a: Routes, b: Routes): number {
  return 1 - positionMatch(a, b);
}

/** Mean over tokens of (slots holding the same expert in both) / k: LibMoE's `average_position_match`. */
export function positionMatch(a: Routes, b: Routes): number {
  assertComparable(a, b, 'positionMatch');
  return meanOverTokens(a, (t) => {
    let same = 0;
    for (let i = 0; i < a.k; i++) if (a.selected[t * a.k + i] === b.selected[t * a.k + i]) same++;
    return same;
  });
}

/** Mean over tokens of |A_t ∩ B_t| / k, whatever the slot: LibMoE's `average_overlap_fraction`. */
export function overlapFraction(a: Routes, b: Routes): number {
  assertComparable(a, b, 'overlapFraction');
  return meanOverTokens(a, (t) => {
    let shared = 0;
    for (let i = 0; i < a.k; i++) {
      const e = a.selected[t * a.k + i];
      for (let j = 0; j < a.k; j++) if (b.selected[t * a.k + j] === e) { shared++; break; }
    }
    return shared;
  });
}

/** LibMoE returns NaN for an empty probe set; so do we, rather than a made-up 0 or 1. */
function meanOverTokens(r: Routes, slotsPerToken: (t: number) => number): number {
  if (r.tokens === 0 || r.k === 0) return NaN;
  let sum = 0;
  for (let t = 0; t < r.tokens; t++) sum += slotsPerToken(t) / r.k;
  return sum / r.tokens;
}
