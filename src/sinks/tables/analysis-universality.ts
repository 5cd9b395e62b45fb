/** `analysis/universality.parquet`: LibMoE's universality score per run × step × component (over the layer-similarity matrix). */
import type { TableSpec } from '../table-spec.js';

export const ANALYSIS_UNIVERSALITY: TableSpec = {
  path: 'analysis/universality',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier' },
    { name: 'step', type: 'int32', doc: 'checkpoint step' },
    { name: 'component', type: 'dict', doc: 'the component whose layers are compared (language_model, vision, projector)' },
    { name: 'layers', type: 'int32', doc: 'MoE layers compared' },
    { name: 'score', type: 'float64', doc: 'universal_score: mean of the usage-similarity matrix, diagonal included' },
    { name: 'optimist', type: 'float64', doc: 'mean over layers of the most similar other layer (LibMoE includes the diagonal, always 1; we do not)' },
  ],
};
