/** `analysis/specialisation.parquet`: OLMoE's domain specialisation, one row per run × step × component × layer × (domain or modality) × expert. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_SPECIALISATION: TableSpec = {
  path: 'analysis/specialisation',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'modality', type: 'dict', doc: "the tokens' modality: text (an LM run), image (vision, projector), or in a VLM's decoder 'all' for the per-domain rows and image / text for the per-modality rows (domain 'all')" },
    { name: 'domain', type: 'dict', doc: "probe domain (a VLM: the probe file's name), or 'all' on a VLM decoder's per-modality rows" },
    { name: 'expert', type: 'int32', doc: 'router index' },
    { name: 'tokens', type: 'int32', doc: 'tokens of the domain with the expert among their k picks' },
    { name: 'domain_tokens', type: 'int32', doc: 'probe tokens of the domain' },
    { name: 'share', type: 'float64', doc: 'tokens / domain_tokens (sums to k over experts)' },
    { name: 'vs_uniform', type: 'float64', doc: 'share / (k/E): 1 = uniform routing' },
  ],
};
