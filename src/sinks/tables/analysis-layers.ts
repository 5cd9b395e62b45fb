/** `analysis/layers.parquet`: layer similarity, one row per run × step × pair of layers of one component (layers of different components route different tokens: not compared). */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_LAYERS: TableSpec = {
  path: 'analysis/layers',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: 'the component both layers belong to (language_model, vision, projector)' },
    { name: 'layer', type: 'int32', doc: 'row layer l' },
    { name: 'other', type: 'int32', doc: 'column layer m' },
    { name: 'usage_similarity', type: 'float64', doc: "LibMoE layer_sel_similarity: Σ_e min(u_l,e, u_m,e) / Σ_e u_l,e over normalised usage u" },
    { name: 'token_jaccard', type: 'float64', doc: 'mean over tokens of |S_l ∩ S_m| / |S_l ∪ S_m| (same token, two layers)' },
  ],
};
