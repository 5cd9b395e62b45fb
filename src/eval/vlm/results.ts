/** Per-item outcomes of a VLM task: the answerer's text, how each protocol read it, and whether that is right. */

/** How one protocol read an answer. */
export interface VlmReading {
  /** POPE (lmms-eval): the lower-cased, stripped text; POPE (LLaVA): yes/no; MME: yes/no/other; ScienceQA: the letter, or "" when none. */
  readonly parsed: string;
  readonly correct: boolean;
}

export interface VlmItemResult {
  readonly id: string;
  readonly group: string;
  /** "yes"/"no", or the right option's letter. */
  readonly gold: string;
  /** The answerer's text as it came back. */
  readonly output: string;
  /** lmms-eval's reading: the number LibMoE reports. */
  readonly lmmsEval: VlmReading;
  /** LLaVA's own evaluation scripts (eval_pope.py: POPE's rule; eval_science_qa.py), where they differ from lmms-eval. */
  readonly llava?: VlmReading;
  /** MME: the question_id the item shares with the other question on its image. */
  readonly pair?: string;
}
