/**
 * `eval/results-*.parquet`: one row per run × checkpoint step × task × group × metric, for
 * LibMoE's metrics, lm-evaluation-harness's (under their own names) and moeflow's bookkeeping.
 * A task's result rows are written last, so their presence marks the task as done at that step.
 */
import type { MetricRow } from '../../eval/scoring/task-metrics.js';
import type { Row, TableSpec } from '../table-spec.js';

export const EVAL_RESULTS: TableSpec = {
  path: 'eval/results',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' },
    { name: 'step', type: 'int32', doc: 'checkpoint step evaluated (checkpoints/step-N)' },
    { name: 'task', type: 'dict', doc: 'task name (piqa, arc_easy, lambada, blimp, ...)' },
    { name: 'group', type: 'dict', doc: "LibMoE's group (ARC split, BLiMP phenomenon, ...), or group_average / seq_average / total / all" },
    { name: 'protocol', type: 'dict', doc: "whose definition the metric follows: libmoe, lm-eval-harness, or moeflow (bookkeeping)" },
    { name: 'metric', type: 'dict', doc: 'accuracy, perplexity (libmoe); acc, acc_norm, perplexity (lm-eval-harness); truncated, read, used, skipped, excluded (moeflow)' },
    { name: 'value', type: 'float64', doc: 'the metric (accuracies as fractions 0..1; counts as numbers)' },
    { name: 'n', type: 'int32', doc: 'items behind the value' },
    { name: 'item_limit', type: 'int32', doc: '--limit the evaluation ran with (items per data file; 0 = all)' },
  ],
};

export interface EvalRunKey {
  readonly runId: string;
  readonly step: number;
  readonly task: string;
  readonly itemLimit: number;
}

export function evalResultRows(key: EvalRunKey, metrics: readonly MetricRow[]): Row[] {
  return metrics.map((m) => ({
    run_id: key.runId, step: key.step, task: key.task, group: m.group, protocol: m.protocol, metric: m.metric,
    value: m.value, n: m.n, item_limit: key.itemLimit,
  }));
}
