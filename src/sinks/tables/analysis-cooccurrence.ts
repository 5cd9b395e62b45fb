/** `analysis/cooccurrence.parquet`: expert co-occurrence (LibMoE `expert_coocurence`), one row per run × step × layer × expert pair. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_COOCCURRENCE: TableSpec = {
  path: 'analysis/cooccurrence',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'expert', type: 'int32', doc: 'row expert i' },
    { name: 'other', type: 'int32', doc: 'column expert j' },
    { name: 'count', type: 'int32', doc: 'tokens that picked both i and j (i = j: tokens that picked i)' },
    { name: 'fraction', type: 'float64', doc: 'count / max(count(i,i), 1): of the tokens sent to i, the share also sent to j' },
  ],
};
