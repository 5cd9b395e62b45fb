/**
 * `analysis/ani.parquet`: average normalised inner product of each MoE layer's expert keys,
 * values and selection weights (LibMoE `ani/*`; rows as src/analysis/expert-weight-ani.ts),
 * one row per run × checkpoint step × layer × matrix.
 */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_ANI: TableSpec = {
  path: 'analysis/ani',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'matrix', type: 'dict', doc: "keys (E·s hidden units' input rows), values (their output rows), expert_sel (LibMoE: the router weight's D columns), router_rows (its rows: one per router index)" },
    { name: 'parameter', type: 'dict', doc: 'LibMoE parameter read (keys, values, expert_sel, gate.weight, experts.*.0.weight, experts.*.2.weight)' },
    { name: 'rows', type: 'int32', doc: 'rows compared' },
    { name: 'cols', type: 'int32', doc: 'length of each row' },
    { name: 'ani', type: 'float64', doc: 'mean cosine similarity over ordered pairs of distinct rows (0 orthogonal, 1 parallel)' },
  ],
};
