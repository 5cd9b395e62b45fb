/**
 * The VLM task contract: like the LM tasks (src/eval/task.ts), one file per task owning its
 * rows' layout, its prompt (lmms-eval's `doc_to_text`), its answer parsing (`process_results`)
 * and its metrics (`aggregation`). A task never touches the model.
 */
import type { ItemSource } from '../items.js';
import type { MetricRow } from '../scoring/task-metrics.js';
import type { JsonRow } from '../task.js';
import type { VlmItem } from './items.js';
import type { VlmItemResult } from './results.js';

export type VlmTaskName = 'pope' | 'scienceqa_img' | 'mme';

export interface VlmTask {
  /** Registry name, as lmms-eval spells the task. */
  readonly name: VlmTaskName;
  readonly description: string;
  /** Paths relative to the data folder, tried in order. */
  readonly files: readonly string[];
  /**
   * One row → its item; throws RowError (bad input: the loader names file and line) or
   * ExcludedRow (left out by the protocol, e.g. ScienceQA questions without an image).
   * `imageDir` is what a relative image path is resolved against.
   */
  toItem(row: JsonRow, source: ItemSource, imageDir: string): VlmItem;
  /** The answerer's text for one item → how lmms-eval (and LLaVA, where it differs) reads it. */
  judge(item: VlmItem, output: string): VlmItemResult;
  /** Per-item results → metric rows, as lmms-eval aggregates them. */
  metrics(results: readonly VlmItemResult[]): MetricRow[];
}
