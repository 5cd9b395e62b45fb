/**
 * Domain specialisation (OLMoE, arXiv 2409.02060 §5): for each domain d and expert e, the
 * fraction of d's tokens that have e among their k picks. Uniform routing gives k/E for every
 * expert; a ratio to uniform above 1 means the expert serves that domain more than its share.
 */
import type { Routes } from './routes.js';

export interface DomainExpertShare {
  readonly domain: string;
  readonly expert: number;
  /** Tokens of the domain routed to the expert (in any slot). */
  readonly tokens: number;
  /** Tokens of the domain. */
  readonly domainTokens: number;
  /** tokens / domainTokens: OLMoE's specialisation. Sums to k over the experts of a domain. */
  readonly share: number;
  /** share / (k/E): 1 is uniform routing. */
  readonly vsUniform: number;
}

/** `domains[t]` is the domain of probe token t. Rows come domain by domain (in first-seen order), expert by expert. */
export function domainSpecialisation(r: Routes, domains: readonly string[]): DomainExpertShare[] {
  if (domains.length !== r.tokens) throw new Error(`domainSpecialisation: ${domains.length} domain labels for ${r.tokens} tokens`);
  const perDomain = new Map<string, { tokens: number; counts: Float64Array }>();
  for (let t = 0; t < r.tokens; t++) {
    const d = domains[t]!;
    let acc = perDomain.get(d);
    if (!acc) perDomain.set(d, acc = { tokens: 0, counts: new Float64Array(r.experts) });
    acc.tokens++;
    for (let i = 0; i < r.k; i++) acc.counts[r.selected[t * r.k + i]!]! += 1;
  }
  const uniform = r.k / r.experts;
  const rows: DomainExpertShare[] = [];
  for (const [domain, acc] of perDomain) {
    for (let e = 0; e < r.experts; e++) {
      const share = acc.counts[e]! / acc.tokens;
      rows.push({ domain, expert: e, tokens: acc.counts[e]!, domainTokens: acc.tokens, share, vsUniform: share / uniform });
    }
  }
  return rows;
}
