/** `analysis/ablation.parquet`: DropTop-n probe perplexity against the intact model, per run × step × n × domain. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_ABLATION: TableSpec = {
  path: 'analysis/ablation',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'drop_top', type: 'int32', doc: '0 = intact, 1 = DropTop-1, 2 = DropTop-1&2' },
    { name: 'domain', type: 'dict', doc: "probe domain, or 'all'" },
    { name: 'tokens', type: 'int32', doc: 'predicted probe tokens (every token but the last of each window; a VLM: the answer tokens)' },
    { name: 'mean_nll', type: 'float64', doc: 'mean negative log-likelihood of the next token (nats)' },
    { name: 'perplexity', type: 'float64', doc: 'exp(mean_nll)' },
    { name: 'delta_perplexity', type: 'float64', doc: 'perplexity − the intact perplexity of the same step and domain' },
  ],
};
