import { denseWidth, isMoeLayer, type ResolvedLmConfig } from './config.js';

/**
 * Model FLOPs of one forward pass over `tokens` tokens in windows of `seqLen`
 * (multiply-add = 2 FLOPs; attention scores and mixing counted over the full T×T square,
 * as the kernels compute them). Training = 3× forward. MoE blocks count K·s routed width
 * (nominal: Hyper-R's dynamic K and TC-MoE's null picks are not tracked) plus any always-on
 * shared expert width (`sharedWidth`).
 */
export function forwardFlops(c: ResolvedLmConfig, tokens: number, seqLen: number, sharedWidth: (layer: number) => number = () => 0): number {
  const { dModel: d, nHeads: h, headDim: hd, vocabSize: v } = c;
  let perToken = 2 * d * v; // output projection
  for (let i = 0; i < c.nLayers; i++) {
    perToken += 2 * (d * 3 * h * hd + h * hd * d) + 2 * 2 * seqLen * h * hd;
    if (isMoeLayer(c, i) && c.ffn.kind === 'moe') perToken += 2 * 2 * d * (c.ffn.expertSize * c.ffn.topK + sharedWidth(i)) + 2 * d * c.ffn.nExperts;
    else perToken += 2 * 2 * d * denseWidth(c.ffn);
  }
  return perToken * tokens;
}
