/**
 * The task contract: one file per task under tasks/, each owning its prompt (libmoe.md §9.1)
 * and knowing which row formats it reads. A task never touches the model or the tokenizer.
 */
import type { EvalItem, ItemSource } from './items.js';
import type { RowFormat } from './data/row-format.js';

export type JsonRow = Readonly<Record<string, unknown>>;

export interface EvalTask {
  /** Registry name, as `--tasks` spells it (LibMoE's, lower case: piqa, arc_easy, lambada, blimp ...). */
  readonly name: string;
  /** One line for --help and docs. */
  readonly description: string;
  /** Paths relative to the data folder, tried in order; a name ending in "/" is a folder of files (one per group). */
  readonly files: readonly string[];
  /** Row formats this task reads; the loader detects a file's format from its first row's fields. */
  readonly formats: readonly RowFormat[];
  /** Turn one row into its item; throws RowError (the loader adds file and line) when the row is unusable. */
  toItem(row: JsonRow, format: RowFormat, source: ItemSource): EvalItem;
}

/** A row that cannot become an item: the loader names file and record and applies the bad-input policy. */
export class RowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RowError';
  }
}

/**
 * A row the protocol itself leaves out (LibMoE's ARC loader drops items without 4 options).
 * Counted as excluded under every policy: it is not bad input.
 */
export class ExcludedRow extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExcludedRow';
  }
}
