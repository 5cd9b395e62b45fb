/** `analysis/vocabulary.parquet`: route concentration per token id, one row per run × step × layer × token id. */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_VOCABULARY: TableSpec = {
  path: 'analysis/vocabulary',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: "where the MoE layer sits: language_model (every layer of an LM run; a VLM's decoder), vision (a vision-tower encoder layer), projector (a VLM's MoE projector)" },
    { name: 'layer', type: 'int32', doc: 'index of the MoE layer within its component: transformer block (language_model), encoder layer (vision), 0 (projector)' },
    { name: 'token_id', type: 'int32', doc: 'token id (the run\'s tokenizer); on vision and projector rows the image token\'s position in its image (tower: over every S² call in order, CLIP\'s class token 0), so the row is a patch position\'s specialisation; a VLM decoder\'s image rows are left out' },
    { name: 'occurrences', type: 'int32', doc: 'occurrences in the probe set' },
    { name: 'top_expert', type: 'int32', doc: 'most used expert (lowest index on a tie)' },
    { name: 'top_share', type: 'float64', doc: 'fraction of occurrences routed to top_expert (OLMoE vocabulary specialisation)' },
    { name: 'normalised_entropy', type: 'float64', doc: 'entropy of the token id\'s slot distribution over experts / ln E' },
  ],
};
