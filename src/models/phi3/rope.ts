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
  const t = phi3RopeAt(c, Int32Array.from({ length: seqLen }, (_, i) => i));
  return { seqLen, half: t.half, cos: t.cos, sin: t.sin };
}

/**
 * The same tables for explicit position ids (one row per entry of `positions`, e.g. [B·T]
 * row-major), as Phi3Model computes them when it is given `position_ids`: LongRoPE picks its
 * factors from max(position)+1 over the whole batch, as transformers does.
 */
export function phi3RopeAt(c: Phi3LayerConfig, positions: ArrayLike<number>): { readonly half: number; readonly cos: Float32Array; readonly sin: Float32Array } {
  const hd = headDim(c);
  const half = hd / 2;
  const f = Math.fround;
  let maxPos = -1;
  for (let i = 0; i < positions.length; i++) maxPos = Math.max(maxPos, positions[i]!);
  let factors: readonly number[] | null = null;
  let scale = 1;
  if (c.ropeScaling) {
    factors = maxPos + 1 > c.originalMaxPositionEmbeddings ? c.ropeScaling.longFactor : c.ropeScaling.shortFactor;
    if (factors.length !== half) throw new Error(`phi3 longrope: ${factors.length} factors, head_dim / 2 = ${half}`);
    const ratio = c.maxPositionEmbeddings / c.originalMaxPositionEmbeddings;
    scale = ratio <= 1 ? 1 : Math.sqrt(1 + Math.log(ratio) / Math.log(c.originalMaxPositionEmbeddings));
  }
  const invFreq = Float64Array.from({ length: half }, (_, i) => {
    const base = f(Math.pow(c.ropeTheta, f((2 * i) / hd)));
    return f(1 / (factors ? f(factors[i]! * base) : base));
  });
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let r = 0; r < positions.length; r++) {
    const p = positions[r]!;
    for (let i = 0; i < half; i++) {
      const angle = f(invFreq[i]! * p);
      cos[r * half + i] = f(Math.cos(angle)) * scale;
      sin[r * half + i] = f(Math.sin(angle)) * scale;
    }
  }
  return { half, cos, sin };
}
