/** `analysis/specialisation.parquet`: OLMoE's domain specialisation, one row per run × step × layer × domain × expert. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_SPECIALISATION: TableSpec = {
  path: 'analysis/specialisation',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'layer', type: 'int32', doc: 'transformer block of the MoE layer' },
    { name: 'domain', type: 'dict', doc: 'probe domain' },
    { name: 'expert', type: 'int32', doc: 'router index' },
    { name: 'tokens', type: 'int32', doc: 'tokens of the domain with the expert among their k picks' },
    { name: 'domain_tokens', type: 'int32', doc: 'probe tokens of the domain' },
    { name: 'share', type: 'float64', doc: 'tokens / domain_tokens (sums to k over experts)' },
    { name: 'vs_uniform', type: 'float64', doc: 'share / (k/E): 1 = uniform routing' },
  ],
};
