/**
 * The multiple-choice decision rules, as pure functions of per-option numbers.
 *
 * LibMoE (ProbabilityCompareTest): with length normalisation an option's score is the mean
 * log-prob of its continuation tokens; without it (BLiMP, CBT) the summed log-prob of the whole
 * sequence (context included). The item is right only if the gold score is strictly greater
 * than every other: ties are wrong, so a model that gives every option the same score gets 0.
 *
 * lm-evaluation-harness: acc = argmax of the summed continuation log-likelihood, acc_norm =
 * argmax of loglik / (characters of the option); numpy's argmax picks the first maximum, so a
 * tie goes to the lowest index.
 */

export interface OptionNumbers {
  /** Σ ln p of the continuation tokens. */
  readonly loglik: number;
  /** Σ ln p of the context tokens after the first. */
  readonly contextLogprob: number;
  readonly tokens: number;
  readonly chars: number;
}

export function libmoeScore(o: OptionNumbers, lengthNormalised: boolean): number {
  return lengthNormalised ? o.loglik / o.tokens : o.contextLogprob + o.loglik;
}

/** Strictly greater than every distractor. */
export function strictlyBest(scores: readonly number[], gold: number): boolean {
  const g = scores[gold]!;
  return scores.every((s, i) => i === gold || g > s);
}

/** Index of the first maximum (numpy argmax). NaN never wins. */
export function firstArgmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]! || Number.isNaN(values[best]!)) best = i;
  return best;
}

/** Characters as Python's len counts them (code points, not UTF-16 units). */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
