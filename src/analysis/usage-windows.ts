/**
 * Expert usage over windows of probe tokens (LibMoE LM `moe_layer.py`: `dead_expert_proportion_*`
 * and `usag_rel_perplexity_*`, libmoe.md §6.1): within each window, the share of experts never
 * picked, and the relative perplexity exp(H(u)) / E of the normalised selection counts u
 * (1 = perfectly balanced, 1/E = one expert takes everything).
 */
import { expertCounts, sliceTokens, type Routes } from './routes.js';

export interface UsageWindow {
  readonly window: number;
  readonly fromToken: number;
  readonly tokens: number;
  readonly deadProportion: number;
  readonly usagePerplexity: number;
}

/** Windows of `windowTokens` consecutive tokens; the last one may be shorter. `windowTokens` ≥ tokens gives one window over everything. */
export function usageWindows(r: Routes, windowTokens: number): UsageWindow[] {
  if (!(Number.isInteger(windowTokens) && windowTokens > 0)) throw new Error(`usageWindows: window must be a positive integer of tokens, got ${windowTokens}`);
  const out: UsageWindow[] = [];
  for (let from = 0, w = 0; from < r.tokens; from += windowTokens, w++) {
    const part = sliceTokens(r, from, Math.min(r.tokens, from + windowTokens));
    const u = usage(part);
    out.push({ window: w, fromToken: from, tokens: part.tokens, ...u });
  }
  return out;
}

export function usage(r: Routes): { deadProportion: number; usagePerplexity: number } {
  const counts = expertCounts(r);
  const total = counts.reduce((a, b) => a + b, 0);
  let dead = 0;
  let h = 0;
  for (const c of counts) {
    if (c === 0) dead++;
    else h -= (c / total) * Math.log(c / total);
  }
  return { deadProportion: dead / r.experts, usagePerplexity: total > 0 ? Math.exp(h) / r.experts : NaN };
}
