/** `analysis/ablation_accuracy.parquet`: with `--probe TASKS`, each task's evaluation accuracy under DropTop-n against the intact model, per run × step × n × task. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_ABLATION_ACCURACY: TableSpec = {
  path: 'analysis/ablation_accuracy',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'drop_top', type: 'int32', doc: '0 = intact, 1 = DropTop-1, 2 = DropTop-1&2' },
    { name: 'task', type: 'dict', doc: 'evaluation task (pipeline eval --tasks names)' },
    { name: 'items', type: 'int32', doc: 'items scored' },
    { name: 'accuracy', type: 'float64', doc: "LibMoE's headline accuracy (group average; LAMBADA: total), as pipeline eval reports it" },
    { name: 'delta_accuracy', type: 'float64', doc: 'accuracy − the intact accuracy of the same step and task' },
  ],
};
