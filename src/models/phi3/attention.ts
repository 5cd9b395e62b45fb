import { tf, type Tensor2D } from '../tf.js';
import { matMul2D } from '../kernels/fast-matmul.js';
import { applyRope } from '../lm/rope.js';

/** Phi3Attention's weights in transformers' layout (no biases). */
export interface Phi3AttentionWeights {
  /** `qkv_proj.weight` [(H + 2·KV)·hd, D]: rows are the q heads, then the k heads, then the v heads. */
  readonly qkv: tf.Tensor;
  /** `o_proj.weight` [D, H·hd]. */
  readonly o: tf.Tensor;
}

export interface Phi3AttentionShape {
  readonly batch: number;
  readonly seqLen: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** What attention needs besides x: rotate-half tables for the [B·T] rows and each batch row's additive mask. */
export interface Phi3AttentionConsts {
  /** [B·T, hd/2]. */
  readonly cos: Tensor2D;
  readonly sin: Tensor2D;
  /** Per batch row [T, T]: 0 allowed, −1e9 masked (causal + key padding). */
  readonly masks: readonly Tensor2D[];
}

/**
 * Phi3Attention (eager): one fused qkv projection, RoPE on q and k over the whole head, and
 * scaled dot-product attention per (batch row, head) where query head h reads kv head
 * ⌊h / (H/KV)⌋ (transformers' `repeat_kv`), then o_proj. x [B·T, D] → [B·T, D].
 * Kept 2-D like lm/attention.ts (tfjs-wasm runs batched matMul and multi-axis transposes slowly).
 */
export function phi3Attention(x: Tensor2D, w: Phi3AttentionWeights, c: Phi3AttentionConsts, s: Phi3AttentionShape): Tensor2D {
  const { batch, heads, kvHeads, headDim } = s;
  const qkv = matMul2D(x, tf.transpose(w.qkv) as Tensor2D);
  const cols = tf.split(qkv, heads + 2 * kvHeads, 1) as Tensor2D[];
  const rows = (t: Tensor2D): Tensor2D[] => (batch === 1 ? [t] : (tf.split(t, batch, 0) as Tensor2D[]));
  // Each kv head is rotated and split once, whatever the number of query heads it serves.
  const ks = Array.from({ length: kvHeads }, (_, j) => rows(applyRope(cols[heads + j]!, c.cos, c.sin, headDim)));
  const vs = Array.from({ length: kvHeads }, (_, j) => rows(cols[heads + kvHeads + j]!));
  const group = heads / kvHeads;
  const out: Tensor2D[] = [];
  for (let h = 0; h < heads; h++) {
    const q = rows(tf.mul(applyRope(cols[h]!, c.cos, c.sin, headDim), 1 / Math.sqrt(headDim)) as Tensor2D);
    const kv = Math.floor(h / group);
    const perRow = q.map((qb, b) => {
      const scores = tf.add(matMul2D(qb, tf.transpose(ks[kv]![b]!) as Tensor2D), c.masks[b]!) as Tensor2D;
      return matMul2D(tf.softmax(scores) as Tensor2D, vs[kv]![b]!);
    });
    out.push(batch === 1 ? perRow[0]! : (tf.concat(perRow, 0) as Tensor2D));
  }
  return matMul2D(tf.concat(out, 1) as Tensor2D, tf.transpose(w.o) as Tensor2D);
}
