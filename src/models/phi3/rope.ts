import type { Phi3LayerConfig } from './config.js';
import { headDim } from './config.js';

/** Rotate-half RoPE tables for positions 0..T−1: [T, hd/2] (transformers' [T, hd] repeats them). */
export interface Phi3RopeTables {
  readonly seqLen: number;
  readonly half: number;
  readonly cos: Float32Array;
  readonly sin: Float32Array;
}

/**
 * Phi3RotaryEmbedding / Phi3LongRoPEScaledRotaryEmbedding (transformers 4.43) for positions
 * 0..T−1, as Phi3Model uses without explicit position ids:
 * - inv_freq_i = 1 / θ^(2i/hd), and with LongRoPE 1 / (factor_i · θ^(2i/hd)), the long factors
 *   when T = max(position)+1 exceeds `original_max_position_embeddings`, else the short ones;
 * - LongRoPE scales cos and sin by √(1 + ln(max/orig) / ln(orig)) when max > orig.
 * transformers builds them in float32 (inv_freq, the position product, cos/sin); each step is
 * rounded to float32 here as well, so the tables agree to float32 rounding.
 */
export function phi3RopeTables(c: Phi3LayerConfig, seqLen: number): Phi3RopeTables {
  const hd = headDim(c);
  const half = hd / 2;
  const f = Math.fround;
  let factors: readonly number[] | null = null;
  let scale = 1;
  if (c.ropeScaling) {
    factors = seqLen > c.originalMaxPositionEmbeddings ? c.ropeScaling.longFactor : c.ropeScaling.shortFactor;
    if (factors.length !== half) throw new Error(`phi3 longrope: ${factors.length} factors, head_dim / 2 = ${half}`);
    const ratio = c.maxPositionEmbeddings / c.originalMaxPositionEmbeddings;
    scale = ratio <= 1 ? 1 : Math.sqrt(1 + Math.log(ratio) / Math.log(c.originalMaxPositionEmbeddings));
  }
  const invFreq = Float64Array.from({ length: half }, (_, i) => {
    const base = f(Math.pow(c.ropeTheta, f((2 * i) / hd)));
    return f(1 / (factors ? f(factors[i]! * base) : base));
  });
  const cos = new Float32Array(seqLen * half);
  const sin = new Float32Array(seqLen * half);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const angle = f(invFreq[i]! * t);
      cos[t * half + i] = f(Math.cos(angle)) * scale;
      sin[t * half + i] = f(Math.sin(angle)) * scale;
    }
  }
  return { seqLen, half, cos, sin };
}
