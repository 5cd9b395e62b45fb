/** `analysis/usage.parquet`: dead experts and usage perplexity over windows of probe tokens, per run × step × layer × window. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_USAGE: TableSpec = {
  path: 'analysis/usage',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'window', type: 'int32', doc: 'window index (−1: the whole probe set)' },
    { name: 'from_token', type: 'int32', doc: 'first probe token of the window' },
    { name: 'tokens', type: 'int32', doc: 'tokens in the window' },
    { name: 'dead_proportion', type: 'float64', doc: 'experts never picked in the window / E' },
    { name: 'usage_perplexity', type: 'float64', doc: 'exp(H(u)) / E of the normalised selection counts (1 = balanced)' },
  ],
};
