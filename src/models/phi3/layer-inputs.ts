import { tf, type Tensor2D } from '../tf.js';
import type { Phi3AttentionConsts } from './attention.js';
import { additiveMask, allowedPositions } from './causal-mask.js';
import type { Phi3LayerConfig } from './config.js';
import { phi3RopeAt, phi3RopeTables } from './rope.js';

/**
 * What every decoder layer of one forward shares: the RoPE tables and the causal + padding
 * masks. Phi3Model builds them once per forward instead of once per layer (at T = 2048 the
 * masks alone are B × 16 MiB).
 */
export interface Phi3LayerInputs {
  readonly batch: number;
  readonly seqLen: number;
  /** The tensors attention reads: [B·T, hd/2] cos and sin, per batch row a [T, T] additive mask. */
  readonly consts: Phi3AttentionConsts;
  /** Host tables: [T, hd/2] for default positions, [B·T, hd/2] for explicit ones. */
  readonly rope: { readonly cos: Float32Array; readonly sin: Float32Array; readonly half: number };
  /** [B, T, T] 0/1: may query i attend to key j. */
  readonly attentionAllowed: Uint8Array;
}

/**
 * attentionMask [B·T] 1 real / 0 padding (null: none), positions [B·T] position ids (default
 * 0..T−1 in every row). Creates tensors: call inside the tape or tidy of the forward.
 */
export function phi3LayerInputs(c: Phi3LayerConfig, batch: number, seqLen: number, attentionMask: ArrayLike<number> | null, positions?: ArrayLike<number>): Phi3LayerInputs {
  const n = batch * seqLen;
  if (positions && positions.length !== n) throw new Error(`phi3 layer: ${positions.length} position ids for ${batch}×${seqLen} tokens`);
  if (attentionMask && attentionMask.length !== n) throw new Error(`phi3 layer: attention mask of ${attentionMask.length} for ${batch}×${seqLen} tokens`);
  const rope = positions ? phi3RopeAt(c, positions) : phi3RopeTables(c, seqLen);
  const allowed = allowedPositions(batch, seqLen, attentionMask);
  // Default tables are per position; attention works on [B·T] rows, so repeat them per batch row.
  const rows = (a: Float32Array): Tensor2D =>
    positions ? tf.tensor2d(a, [n, rope.half]) : (tf.tile(tf.tensor2d(a, [seqLen, rope.half]), [batch, 1]) as Tensor2D);
  return {
    batch, seqLen,
    consts: {
      cos: rows(rope.cos), sin: rows(rope.sin),
      masks: Array.from({ length: batch }, (_, i) => tf.tensor2d(additiveMask(allowed, i, seqLen), [seqLen, seqLen])),
    },
    rope: { cos: rope.cos, sin: rope.sin, half: rope.half },
    attentionAllowed: allowed,
  };
}
