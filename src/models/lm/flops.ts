import { denseWidth, isMoeLayer, type ResolvedLmConfig } from './config.js';

/**
 * Model FLOPs of one forward pass over `tokens` tokens in windows of `seqLen`
 * (multiply-add = 2 FLOPs; attention scores and mixing counted over the full T×T square,
 * as the kernels compute them). Training = 3× forward.
 */
export function forwardFlops(c: ResolvedLmConfig, tokens: number, seqLen: number): number {
  const { dModel: d, nHeads: h, headDim: hd, vocabSize: v } = c;
  let perToken = 2 * d * v; // output projection
  for (let i = 0; i < c.nLayers; i++) {
    perToken += 2 * (d * 3 * h * hd + h * hd * d) + 2 * 2 * seqLen * h * hd;
    if (isMoeLayer(c, i) && c.ffn.kind === 'moe') perToken += 2 * 2 * d * c.ffn.expertSize * c.ffn.topK + 2 * d * c.ffn.nExperts;
    else perToken += 2 * 2 * d * denseWidth(c.ffn);
  }
  return perToken * tokens;
}
