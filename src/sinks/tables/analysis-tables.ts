/** Every table `pipeline analyze` writes under RUN_DIR/analysis/ (docs/analysis.md). */
import { ANALYSIS_ABLATION } from './analysis-ablation.js';
import { ANALYSIS_ABLATION_ACCURACY } from './analysis-ablation-accuracy.js';
import { ANALYSIS_ANI } from './analysis-ani.js';
import { ANALYSIS_COOCCURRENCE } from './analysis-cooccurrence.js';
import { ANALYSIS_DYNAMICS } from './analysis-dynamics.js';
import { ANALYSIS_LAYERS } from './analysis-layers.js';
import { ANALYSIS_RELU } from './analysis-relu.js';
import { ANALYSIS_SPECIALISATION } from './analysis-specialisation.js';
import { ANALYSIS_UNIVERSALITY } from './analysis-universality.js';
import { ANALYSIS_USAGE } from './analysis-usage.js';
import { ANALYSIS_VOCABULARY } from './analysis-vocabulary.js';

export const ANALYSIS_TABLES = {
  dynamics: ANALYSIS_DYNAMICS,
  specialisation: ANALYSIS_SPECIALISATION,
  vocabulary: ANALYSIS_VOCABULARY,
  cooccurrence: ANALYSIS_COOCCURRENCE,
  layers: ANALYSIS_LAYERS,
  universality: ANALYSIS_UNIVERSALITY,
  usage: ANALYSIS_USAGE,
  ablation: ANALYSIS_ABLATION,
  ablation_accuracy: ANALYSIS_ABLATION_ACCURACY,
  ani: ANALYSIS_ANI,
  relu: ANALYSIS_RELU,
} as const;

export type AnalysisTableName = keyof typeof ANALYSIS_TABLES;
