/**
 * What a task turns its data rows into: the two shapes LibMoE's LM evaluation scores.
 * Strings only: tokenisation happens later, context and continuation separately (LibMoE).
 */

/** Where an item came from, so a bad row or a surprising score can be traced back. */
export interface ItemSource {
  readonly file: string;
  /** 1-based line (JSONL) or record number (Parquet). */
  readonly record: number;
}

/**
 * A multiple-choice item: the model scores `context + delimiter + option` for every option.
 * `options` are the answer texts as the data has them (lm-evaluation-harness's acc_norm divides
 * by their length in characters); `delimiter` is what separates them from the context
 * (" " for most tasks, "" for MMLU and for BLiMP's context-free sentences).
 */
export interface ChoiceItem {
  readonly kind: 'choice';
  /** Stable within the task: the row's own id when it has one, else file stem + record. */
  readonly id: string;
  /** LibMoE's reporting group (ARC split, BLiMP phenomenon, ...). */
  readonly group: string;
  readonly context: string;
  readonly delimiter: string;
  readonly options: readonly string[];
  readonly gold: number;
  /** LibMoE's normalize_by_length: mean log-prob of the continuation (true) or sum over the whole sequence (false). */
  readonly lengthNormalised: boolean;
  readonly source: ItemSource;
}

/**
 * A LAMBADA-style item: predict the last word of a passage. `target` is the word itself
 * (no leading space); the model sees `context + " " + target` teacher-forced.
 */
export interface LastWordItem {
  readonly kind: 'last-word';
  readonly id: string;
  readonly group: string;
  readonly context: string;
  readonly target: string;
  readonly source: ItemSource;
}

export type EvalItem = ChoiceItem | LastWordItem;
