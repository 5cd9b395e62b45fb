import { tf, type Tensor2D } from '../tf.js';
import { matMul2D } from '../kernels/fast-matmul.js';
import { applyRope } from './rope.js';

export interface AttentionWeights {
  /** [D, 3·H·hd]: q, k, v projections side by side (no biases, as LibMoE). */
  readonly qkv: tf.Tensor;
  /** [H·hd, D]. */
  readonly out: tf.Tensor;
}

export interface AttentionConsts {
  readonly cos: tf.Tensor2D;
  readonly sin: tf.Tensor2D;
  /** [T, T]: 0 on and below the diagonal, -1e9 above (exp underflows to exactly 0). */
  readonly causalMask: tf.Tensor2D;
  readonly nRotate: number;
}

/**
 * Causal multi-head self-attention with RoPE. x: [B·T, D] → [B·T, D].
 * tfjs-wasm runs batched (3-D) matMul at ~1/10 of its 2-D rate, so scores and mixing are
 * one 2-D matMul per (sequence, head) on slices from one unstack (whose gradient is a stack).
 */
export function causalSelfAttention(x: Tensor2D, w: AttentionWeights, c: AttentionConsts, batch: number, seqLen: number, nHeads: number, headDim: number): Tensor2D {
  const qkv = matMul2D(x, w.qkv as Tensor2D);
  const split = tf.transpose(tf.reshape(qkv, [batch, seqLen, 3, nHeads, headDim]), [2, 0, 3, 1, 4]);
  const [q0, k0, v] = tf.unstack(split, 0) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const q = tf.mul(applyRope(q0, c.cos, c.sin, c.nRotate), 1 / Math.sqrt(headDim));
  const k = applyRope(k0, c.cos, c.sin, c.nRotate);
  const qs = tf.unstack(tf.reshape(q, [batch * nHeads, seqLen, headDim]), 0) as Tensor2D[];
  const ks = tf.unstack(tf.reshape(k, [batch * nHeads, seqLen, headDim]), 0) as Tensor2D[];
  const vs = tf.unstack(tf.reshape(v, [batch * nHeads, seqLen, headDim]), 0) as Tensor2D[];
  const heads = qs.map((qi, i) => {
    const scores = tf.add(matMul2D(qi, tf.transpose(ks[i]!)), c.causalMask);
    return matMul2D(tf.softmax(scores) as Tensor2D, vs[i]!);
  });
  const merged = tf.reshape(tf.transpose(tf.reshape(tf.stack(heads), [batch, nHeads, seqLen, headDim]), [0, 2, 1, 3]), [batch * seqLen, nHeads * headDim]);
  return matMul2D(merged as Tensor2D, w.out as Tensor2D);
}

export function causalMask(seqLen: number): tf.Tensor2D {
  const m = new Float32Array(seqLen * seqLen);
  for (let i = 0; i < seqLen; i++) for (let j = i + 1; j < seqLen; j++) m[i * seqLen + j] = -1e9;
  return tf.tensor2d(m, [seqLen, seqLen]);
}
