/** `analysis/vocabulary.parquet`: route concentration per token id, one row per run × step × layer × token id. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_VOCABULARY: TableSpec = {
  path: 'analysis/vocabulary',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'layer', type: 'int32', doc: 'transformer block of the MoE layer' },
    { name: 'token_id', type: 'int32', doc: 'token id (the run\'s tokenizer)' },
    { name: 'occurrences', type: 'int32', doc: 'occurrences in the probe set' },
    { name: 'top_expert', type: 'int32', doc: 'most used expert (lowest index on a tie)' },
    { name: 'top_share', type: 'float64', doc: 'fraction of occurrences routed to top_expert (OLMoE vocabulary specialisation)' },
    { name: 'normalised_entropy', type: 'float64', doc: 'entropy of the token id\'s slot distribution over experts / ln E' },
  ],
};
