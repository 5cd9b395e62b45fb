/**
 * Evaluation items as the probe set of `pipeline analyze --probe TASKS` (docs/analysis.md):
 *
 *   pipeline analyze runs/quickstart-… --probe piqa,arc_easy --data ../shared/data/eval
 *
 * Each item is read as the text the model sees on its gold answer (context + delimiter + gold
 * option; a LAMBADA passage with its last word), and the task is the item's "domain", so every
 * per-domain metric (specialisation, dynamics, perplexity) is per task. The same items are also
 * scored as `pipeline eval` scores them, intact and under each DropTop ablation, for the
 * accuracy LibMoE's DropTop figures report.
 */
import { loadedTaskLog } from '../../eval/data/bad-rows.js';
import { loadTaskItems, type BadRowPolicy, type LoadedTask } from '../../eval/data/load-task-items.js';
import type { EvalItem } from '../../eval/items.js';
import { scoreItems, type EvalTokenizer } from '../../eval/scoring/score-items.js';
import { taskMetrics } from '../../eval/scoring/task-metrics.js';
import { evalTask } from '../../eval/tasks/registry.js';
import { LmContinuationScorer } from '../../models/lm/score-continuations.js';
import type { TransformerLM } from '../../models/lm/transformer-lm.js';
import type { TextRecord } from '../../streams/slimpajama/slimpajama.js';
import { headlineOf } from '../eval/run-eval.js';
import type { ProbeRecords } from './probe-set.js';

export interface TaskProbeOptions {
  readonly tasks: readonly string[];
  /** Folder laid out as ../shared/data/eval; or per-task files in `taskFiles`. */
  readonly dataDir: string;
  readonly taskFiles?: Readonly<Record<string, readonly string[]>>;
  /** Items per data file (0 or absent: all). */
  readonly limit?: number;
  readonly onBadRow?: BadRowPolicy;
  readonly log?: (line: string) => void;
}

/** The tasks' items, and the same items as probe documents (domain = task name). */
export interface TaskProbe {
  readonly loaded: readonly LoadedTask[];
  readonly records: ProbeRecords;
}

/** One task's accuracy at one checkpoint, intact (dropTop 0) or ablated. */
export interface TaskAccuracy {
  readonly task: string;
  readonly items: number;
  /** LibMoE's headline (group-average accuracy; LAMBADA: total accuracy). */
  readonly accuracy: number;
}

/** The text a probe pass reads for an item: its context followed by the gold answer. */
export function goldText(item: EvalItem): string {
  return item.kind === 'choice' ? item.context + item.delimiter + item.options[item.gold]! : `${item.context} ${item.target}`;
}

export async function loadTaskProbe(o: TaskProbeOptions): Promise<TaskProbe> {
  const loaded: LoadedTask[] = [];
  const records: TextRecord[] = [];
  for (const name of o.tasks) {
    const task = evalTask(name);
    const files = o.taskFiles?.[name];
    const l = await loadTaskItems(task, {
      ...(files?.length ? { files } : { dataDir: o.dataDir }),
      onBadRow: o.onBadRow ?? 'fail',
      ...(o.limit ? { limit: o.limit } : {}),
    });
    o.log?.(loadedTaskLog(name, l.counts, l.files.map((f) => f.path).join(', '), l.skippedExamples));
    loaded.push(l);
    for (const item of l.items) records.push({ text: goldText(item), domain: name, provenance: { file: item.source.file, line: item.source.record } });
  }
  return { loaded, records: { records, source: `evaluation items of ${o.tasks.join(', ')}` } };
}

/** Each task's accuracy on one checkpoint's model, with every MoE layer under DropTop-`dropTop` (0: intact). */
export async function taskAccuracies(model: TransformerLM, loaded: readonly LoadedTask[], tokenizer: EvalTokenizer,
  o: { maxTokens: number; step: number; totalSteps: number; batchSize: number; dropTop: number }): Promise<TaskAccuracy[]> {
  const scorer = new LmContinuationScorer(model, { maxTokens: o.maxTokens, step: o.step, totalSteps: o.totalSteps, ...(o.dropTop ? { dropTop: o.dropTop } : {}) });
  const out: TaskAccuracy[] = [];
  for (const l of loaded) {
    const results = await scoreItems(l.items, { tokenizer, scorer, batchSize: o.batchSize });
    out.push({ task: l.task.name, items: results.length, accuracy: headlineOf(taskMetrics(results)) ?? Number.NaN });
  }
  return out;
}
