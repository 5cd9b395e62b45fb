/**
 * What the evaluation asks of a language model, with no TensorFlow.js in sight: score a
 * continuation given its context, teacher-forced. src/eval depends on this contract only, so
 * its scoring rules are tested on tiny models whose log-probabilities are computed by hand.
 */

export interface ContinuationRequest {
  /** Token ids before the continuation; at least one (the first token of a sequence is never predicted). */
  readonly context: Int32Array;
  /** Token ids to score; at least one. context.length + continuation.length − 1 ≤ the scorer's maxTokens. */
  readonly continuation: Int32Array;
  /** false: the caller does not read `contextLogprob` (returned as NaN), so the context's own
   *  predictions need not be computed. Default true. */
  readonly scoreContext?: boolean;
}

export interface ContinuationScore {
  /** ln p(continuation[i] | everything before it), one per continuation token. */
  readonly tokenLogprobs: Float64Array;
  /** Σ ln p(context[i] | context[<i]) for i ≥ 1: the rest of the sequence's log-probability
   *  (LibMoE's unnormalised score counts it); NaN when the request set scoreContext: false. */
  readonly contextLogprob: number;
  /** The model's argmax token at each continuation position (teacher-forced greedy decoding). */
  readonly greedy: Int32Array;
}

export interface ContinuationScorer {
  /** Longest input the model takes (its training window): a request feeds context + continuation minus the last token. */
  readonly maxTokens: number;
  /** Scores are independent of how requests are grouped into calls (padding is masked). */
  score(requests: readonly ContinuationRequest[]): Promise<ContinuationScore[]>;
}
