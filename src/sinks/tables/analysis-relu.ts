/**
 * `analysis/relu.parquet`: LibMoE's `relu_pass_rate` on the probe set, per run × checkpoint step ×
 * MoE layer whose routed experts are ReLU (relu-kv): the share of the computed expert hidden
 * units that are > 0, over every real probe token's k slots (padding left out).
 */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_RELU: TableSpec = {
  path: 'analysis/relu',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'slots', type: 'int32', doc: 'token-slots the routed experts computed' },
    { name: 'width', type: 'int32', doc: 'hidden units per expert (expert_size s)' },
    { name: 'active', type: 'int64', doc: 'hidden units > 0, of slots · width' },
    { name: 'pass_rate', type: 'float64', doc: 'active / (slots · width) (LibMoE relu_pass_rate)' },
  ],
};
