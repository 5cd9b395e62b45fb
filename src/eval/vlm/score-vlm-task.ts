/**
 * Items → answers → per-item results and metric rows. The model side implements `VlmAnswerer`
 * (greedy generation, one answer per prompt, in order); scoring asks it in calls of up to
 * `batchSize` prompts, in item order, and applies the task's parsing and aggregation. Nothing
 * here depends on how prompts were grouped, so results cannot depend on the batch size.
 */
import type { MetricRow } from '../scoring/task-metrics.js';
import type { VlmItem, VlmPrompt } from './items.js';
import { withImageToken } from './prompts.js';
import type { VlmItemResult } from './results.js';
import type { VlmTask } from './task.js';
import { vlmTask } from './tasks/registry.js';

/** The model side: one answer text per prompt, in the prompts' order (greedy, at most `maxNewTokens` tokens each). */
export interface VlmAnswerer {
  answer(items: readonly VlmPrompt[]): Promise<string[]>;
}

export interface ScoreVlmOptions {
  /** The task whose parsing and metrics apply (or its name). */
  readonly task: VlmTask | string;
  /** Prompts per answerer call (default 8). */
  readonly batchSize?: number;
  /** Called after each answerer call with the number of items answered so far. */
  readonly onProgress?: (itemsDone: number) => void;
}

export interface ScoredVlmTask {
  readonly results: VlmItemResult[];
  readonly metrics: MetricRow[];
}

/** What the answerer is asked for an item: its image, the prompt with LLaVA's `<image>\n` placed, its length limit. */
export function vlmPrompt(item: VlmItem): VlmPrompt {
  return { id: item.id, image: item.image, text: withImageToken(item.prompt), maxNewTokens: item.maxNewTokens };
}

export async function scoreVlmTask(items: readonly VlmItem[], answerer: VlmAnswerer, opts: ScoreVlmOptions): Promise<ScoredVlmTask> {
  const task = typeof opts.task === 'string' ? vlmTask(opts.task) : opts.task;
  const batchSize = opts.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`scoreVlmTask: batchSize must be a positive integer, got ${batchSize}`);
  const results: VlmItemResult[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = items.slice(start, start + batchSize);
    const answers = await answerer.answer(batch.map(vlmPrompt));
    if (!Array.isArray(answers) || answers.length !== batch.length) {
      throw new Error(`${task.name}: the answerer returned ${Array.isArray(answers) ? answers.length : typeof answers} answers for ${batch.length} prompts`);
    }
    batch.forEach((item, i) => {
      const a = answers[i];
      if (typeof a !== 'string') throw new Error(`${task.name}: the answer for item ${item.id} is not a string`);
      results.push(task.judge(item, a));
    });
    opts.onProgress?.(results.length);
  }
  return { results, metrics: task.metrics(results) };
}
