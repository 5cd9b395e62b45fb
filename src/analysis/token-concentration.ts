/**
 * Vocabulary specialisation: for each token id, how concentrated its routes are. OLMoE measures
 * the fraction of a token id's occurrences routed to its most used expert; LibMoE's LM scripts
 * (`router_saturation.py`) keep the per-token-id selection distribution and its entropy. We
 * report both: `topShare` (OLMoE) and `normalisedEntropy` of the per-token-id expert
 * distribution over all k slots (0 = always the same k experts… 1 = spread uniformly).
 */
import type { Routes } from './routes.js';

export interface TokenConcentration {
  readonly tokenId: number;
  readonly occurrences: number;
  /** Most used expert for this token id (lowest index on a tie, so reruns agree). */
  readonly topExpert: number;
  /** Fraction of occurrences that have topExpert among their picks. */
  readonly topShare: number;
  /** Entropy of the token id's slot distribution over experts, divided by ln E. */
  readonly normalisedEntropy: number;
}

/** Token ids seen fewer than `minOccurrences` times are left out (their concentration is noise); rows are in token-id order. */
export function tokenConcentration(r: Routes, tokenIds: ArrayLike<number>, minOccurrences = 1): TokenConcentration[] {
  if (tokenIds.length !== r.tokens) throw new Error(`tokenConcentration: ${tokenIds.length} token ids for ${r.tokens} tokens`);
  const perId = new Map<number, { n: number; counts: Float64Array }>();
  for (let t = 0; t < r.tokens; t++) {
    const id = tokenIds[t]!;
    let acc = perId.get(id);
    if (!acc) perId.set(id, acc = { n: 0, counts: new Float64Array(r.experts) });
    acc.n++;
    for (let i = 0; i < r.k; i++) acc.counts[r.selected[t * r.k + i]!]! += 1;
  }
  const lnE = Math.log(r.experts);
  return [...perId.entries()].filter(([, a]) => a.n >= minOccurrences).sort(([x], [y]) => x - y).map(([tokenId, a]) => {
    let topExpert = 0;
    for (let e = 1; e < r.experts; e++) if (a.counts[e]! > a.counts[topExpert]!) topExpert = e;
    const slots = a.n * r.k;
    let h = 0;
    for (const c of a.counts) if (c > 0) h -= (c / slots) * Math.log(c / slots);
    return { tokenId, occurrences: a.n, topExpert, topShare: a.counts[topExpert]! / a.n, normalisedEntropy: lnE > 0 ? h / lnE : 0 };
  });
}
