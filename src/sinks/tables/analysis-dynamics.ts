/**
 * `analysis/dynamics.parquet`: how routing changes over checkpoints (docs/analysis.md), one row
 * per run × checkpoint step × MoE layer × domain ('all' = every probe token).
 */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_DYNAMICS: TableSpec = {
  path: 'analysis/dynamics',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' },
    { name: 'step', type: 'int32', doc: 'checkpoint step (checkpoints/step-N)' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'domain', type: 'dict', doc: "probe domain (meta.redpajama_set_name), or 'all'" },
    { name: 'from_step', type: 'int32', doc: 'previous analysed checkpoint (−1 for the first)' },
    { name: 'switch_fraction', type: 'float64', doc: 'mean over tokens of slots whose expert changed since from_step / k (NaN for the first)' },
    { name: 'overlap_fraction', type: 'float64', doc: 'mean over tokens of |S_prev ∩ S| / k, order-free (NaN for the first)' },
    { name: 'position_match', type: 'float64', doc: '1 − switch_fraction (NaN for the first)' },
    { name: 'final_step', type: 'int32', doc: 'last analysed checkpoint' },
    { name: 'saturation', type: 'float64', doc: 'position match against final_step (1 at final_step)' },
    { name: 'overlap_saturation', type: 'float64', doc: 'overlap fraction against final_step' },
    { name: 'tokens', type: 'int32', doc: 'probe tokens behind the row' },
  ],
};
