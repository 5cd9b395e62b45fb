import { tf, type Tensor2D } from '../tf.js';
import { matMul2D } from '../kernels/fast-matmul.js';
import { applyRope, type HeadRopeTables } from './rope.js';
import { batchedSelfAttention } from './batched-attention.js';
import { nativeMatMulInUse } from '../kernels/native-matmul.js';

export interface AttentionWeights {
  /** [D, 3·H·hd]: q, k, v projections side by side, each head-major (no biases, as LibMoE). */
  readonly qkv: tf.Tensor;
  /** [H·hd, D]. */
  readonly out: tf.Tensor;
}

export interface AttentionConsts {
  /** [B·T, nRotate/2] RoPE tables for this (B, T). */
  readonly cos: Tensor2D;
  readonly sin: Tensor2D;
  /** [T, T]: 0 on and below the diagonal, -1e9 above (exp underflows to exactly 0). */
  readonly causalMask: Tensor2D;
  /** Per window [T, T], replacing causalMask (shared-context evaluation windows). */
  readonly windowMasks?: readonly Tensor2D[];
  readonly nRotate: number;
  /** The same rotation as tables for all heads at once, made when the attention runs batched (batched-attention.ts). */
  readonly headRope?: HeadRopeTables;
}

/**
 * Causal multi-head self-attention with RoPE (or, with `windowMasks`, any mask per window). x: [B·T, D] → [B·T, D].
 * With ONNX Runtime's products on wasm it is `batchedSelfAttention` (batched-attention.ts).
 * Otherwise tfjs-wasm runs batched (3-D) matMul at ~1/10 of its 2-D rate and multi-axis transposes
 * slowly, so everything stays 2-D: one projection matMul, `split`s into heads (columns) and
 * windows (rows) whose gradients are concats, one 2-D matMul pair per (window, head), and
 * concats back.
 */
export function causalSelfAttention(x: Tensor2D, w: AttentionWeights, c: AttentionConsts, batch: number, seqLen: number, nHeads: number, headDim: number): Tensor2D {
  if (batchedAttentionInUse()) return batchedSelfAttention(x, w, c, batch, seqLen, nHeads, headDim);
  return windowedSelfAttention(x, w, c, batch, seqLen, nHeads, headDim);
}

/**
 * Whether `causalSelfAttention` runs batched now: where batched products run natively (ONNX
 * Runtime's on wasm), one batched product per layer beats B·H small ones. The model builds the
 * all-head RoPE tables (`AttentionConsts.headRope`) only then.
 */
export function batchedAttentionInUse(): boolean {
  return nativeMatMulInUse() !== undefined && tf.getBackend() === 'wasm';
}

/** The 2-D form described above (`causalSelfAttention` picks it unless batched products run natively). */
export function windowedSelfAttention(x: Tensor2D, w: AttentionWeights, c: AttentionConsts, batch: number, seqLen: number, nHeads: number, headDim: number): Tensor2D {
  const qkv = matMul2D(x, w.qkv as Tensor2D);
  const cols = tf.split(qkv, 3 * nHeads, 1) as Tensor2D[];
  const windows = (t: Tensor2D): Tensor2D[] => (batch === 1 ? [t] : (tf.split(t, batch, 0) as Tensor2D[]));
  const heads: Tensor2D[] = [];
  for (let h = 0; h < nHeads; h++) {
    const q = windows(tf.mul(applyRope(cols[h]!, c.cos, c.sin, c.nRotate), 1 / Math.sqrt(headDim)));
    const k = windows(applyRope(cols[nHeads + h]!, c.cos, c.sin, c.nRotate));
    const v = windows(cols[2 * nHeads + h]!);
    const perWindow = q.map((qb, b) => {
      const scores = tf.add(matMul2D(qb, tf.transpose(k[b]!)), c.windowMasks?.[b] ?? c.causalMask);
      return matMul2D(tf.softmax(scores) as Tensor2D, v[b]!);
    });
    heads.push(batch === 1 ? perWindow[0]! : (tf.concat(perWindow, 0) as Tensor2D));
  }
  return matMul2D(tf.concat(heads, 1) as Tensor2D, w.out as Tensor2D);
}

export function causalMask(seqLen: number): Tensor2D {
  const m = new Float32Array(seqLen * seqLen);
  for (let i = 0; i < seqLen; i++) for (let j = i + 1; j < seqLen; j++) m[i * seqLen + j] = -1e9;
  return tf.tensor2d(m, [seqLen, seqLen]);
}
