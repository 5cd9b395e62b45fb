/** Per-item outcomes: what the items table stores and the metrics are computed from. */

export interface ChoiceResult {
  readonly kind: 'choice';
  readonly id: string;
  readonly group: string;
  readonly gold: number;
  /** LibMoE's score of each option: mean continuation log-prob (length-normalised) or the sequence's summed log-prob. */
  readonly scores: readonly number[];
  /** Σ continuation log-prob per option (lm-evaluation-harness's loglikelihood). */
  readonly logliks: readonly number[];
  /** Continuation tokens per option, after tokenisation. */
  readonly tokens: readonly number[];
  /** Option length in characters (Unicode code points, as Python's len counts). */
  readonly chars: readonly number[];
  /** Option with the highest LibMoE score (the first on a tie). */
  readonly prediction: number;
  /** LibMoE: the gold option scores strictly higher than every other (a tie is wrong). */
  readonly correct: boolean;
  /** lm-evaluation-harness acc: argmax of logliks (first on a tie) is the gold option. */
  readonly acc: boolean;
  /** lm-evaluation-harness acc_norm: argmax of loglik / chars is the gold option. */
  readonly accNorm: boolean;
  /** Some option's context was cut from the left to fit the window. */
  readonly truncated: boolean;
}

export interface LastWordResult {
  readonly kind: 'last-word';
  readonly id: string;
  readonly group: string;
  readonly target: string;
  /** The teacher-forced argmax over the last word's positions, detokenised and trimmed. */
  readonly predicted: string;
  /** Σ log-prob of the last word's tokens, and how many tokens it has. */
  readonly loglik: number;
  readonly tokens: number;
  /** LibMoE: the detokenised prediction equals the last word. */
  readonly correct: boolean;
  /** lm-evaluation-harness is_greedy: every argmax token equals the target token. */
  readonly greedyTokens: boolean;
  readonly truncated: boolean;
}

export type ItemResult = ChoiceResult | LastWordResult;
