import type { Phi3ModelConfig } from '../../../src/models/phi3/model-config.js';

/** A small Phi-3.5-like decoder: GQA, LongRoPE with original_max 8 so a 10-token batch takes the long factors. */
export const PHI3: Phi3ModelConfig = {
  vocabSize: 40, layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, rmsNormEps: 1e-5, ropeTheta: 10000,
  maxPositionEmbeddings: 32, originalMaxPositionEmbeddings: 8, tieWordEmbeddings: false, padTokenId: 39, slidingWindow: 2047,
  ropeScaling: { type: 'longrope', shortFactor: [1, 1.5], longFactor: [2, 4] },
};
