/**
 * DropTop ablation summaries (LibMoE's DropTop-1 / DropTop-1&2, libmoe.md §6.4: the numbers
 * LibMoE typed into its plotting code, measured here): probe perplexity of the ablated model
 * against the intact one, from per-token next-token log-probabilities (NaN = nothing to predict).
 */

export interface PerplexitySummary {
  readonly tokens: number;
  readonly meanNll: number;
  readonly perplexity: number;
}

/** Over the tokens where `include(t)` holds and the log-probability is a number. */
export function perplexityOf(nextLogprob: ArrayLike<number>, include: (t: number) => boolean = () => true): PerplexitySummary {
  let n = 0;
  let nll = 0;
  for (let t = 0; t < nextLogprob.length; t++) {
    const lp = nextLogprob[t]!;
    if (Number.isNaN(lp) || !include(t)) continue;
    n++;
    nll -= lp;
  }
  const meanNll = n > 0 ? nll / n : NaN;
  return { tokens: n, meanNll, perplexity: Math.exp(meanNll) };
}
