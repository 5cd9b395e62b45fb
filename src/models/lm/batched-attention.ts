import { tf, type Tensor2D, type Tensor3D } from '../tf.js';
import { matMul2D } from '../kernels/fast-matmul.js';
import type { AttentionConsts, AttentionWeights } from './attention.js';
import { applyRopeAllHeads } from './rope.js';

/**
 * `causalSelfAttention` with every (window, head) pair in one batched product: q, k, v as
 * [B·H, T, hd], scores [B·H, T, T]. The same arithmetic as the 2-D form (RoPE, the 1/√hd scale,
 * the additive mask, softmax), in about 20 kernel calls per layer instead of ~8·B·H. For
 * backends whose batched matMul runs at full speed (ONNX Runtime's on wasm): tfjs-wasm's own
 * runs batched products at a fraction of its 2-D rate, so there the 2-D form stays.
 * x: [B·T, D] → [B·T, D].
 */
export function batchedSelfAttention(x: Tensor2D, w: AttentionWeights, c: AttentionConsts, batch: number, seqLen: number, nHeads: number, headDim: number): Tensor2D {
  const qkv = matMul2D(x, w.qkv as Tensor2D);
  const [q, k, v] = tf.split(qkv, 3, 1) as [Tensor2D, Tensor2D, Tensor2D];
  const toHeads = (t: tf.Tensor): Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(t, [batch, seqLen, nHeads, headDim]), [0, 2, 1, 3]), [batch * nHeads, seqLen, headDim]) as Tensor3D;
  const qh = toHeads(tf.mul(ropeAllHeads(q, c, nHeads, headDim), 1 / Math.sqrt(headDim)));
  const kh = toHeads(ropeAllHeads(k, c, nHeads, headDim));
  const vh = toHeads(v);
  // Per-window masks [T, T] become [B, 1, T, T] (one per window, every head); the causal mask broadcasts.
  const mask = c.windowMasks !== undefined ? tf.expandDims(tf.stack(c.windowMasks as tf.Tensor[]), 1) : c.causalMask;
  const o = attentionCore(qh, kh, vh, mask, batch, nHeads);
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [batch, nHeads, seqLen, headDim]), [0, 2, 1, 3]), [batch * seqLen, nHeads * headDim]) as Tensor2D;
  return matMul2D(merged, w.out as Tensor2D);
}

/** RoPE on every head of [B·T, H·hd] at once: one product and two multiplies (rope.ts `applyRopeAllHeads`). */
function ropeAllHeads(x: Tensor2D, c: AttentionConsts, nHeads: number, headDim: number): tf.Tensor {
  if (c.nRotate === 0) return x;
  if (c.headRope === undefined) throw new Error('batchedSelfAttention: the attention constants carry no headRope tables');
  return applyRopeAllHeads(x, c.headRope, nHeads, headDim);
}

/**
 * softmax(q·kᵀ + mask)·v over [B·H, T, hd], with its gradient written out so that only the
 * probabilities P are kept (as the 2-D form keeps them): dV = Pᵀ·dO, dP = dO·vᵀ,
 * dS = P ⊙ (dP − Σ_j dP ⊙ P), dq = dS·k, dk = dSᵀ·q. The mask gets no gradient (it is a constant).
 */
function attentionCore(q: Tensor3D, k: Tensor3D, v: Tensor3D, mask: tf.Tensor, batch: number, nHeads: number): Tensor3D {
  const core = tf.customGrad(((qi: Tensor3D, ki: Tensor3D, vi: Tensor3D, m: tf.Tensor, save: tf.GradSaveFunc) => {
    const [bh, t] = qi.shape;
    // kᵀ made explicitly: ONNX Runtime's batched product with a transposed operand runs these
    // [128, 32]·[32, 128] blocks at a third of the plain product's speed (measured), and k is small.
    let scores: tf.Tensor = tf.matMul(qi, tf.transpose(ki, [0, 2, 1]));
    scores = m.rank === 4 ? tf.reshape(tf.add(tf.reshape(scores, [batch, nHeads, t, t]), m), [bh, t, t]) : tf.add(scores, m);
    const p = tf.softmax(scores) as Tensor3D;
    save([qi, ki, vi, p]);
    return {
      value: tf.matMul(p, vi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp] = saved as [Tensor3D, Tensor3D, Tensor3D, Tensor3D];
        const dO = dy as Tensor3D;
        const dv = tf.matMul(sp, dO, true, false);
        const dp = tf.matMul(dO, tf.transpose(sv, [0, 2, 1]));
        const ds = tf.mul(sp, tf.sub(dp, tf.sum(tf.mul(dp, sp), -1, true))) as Tensor3D;
        return [tf.matMul(ds, sk), tf.matMul(ds, sq, true, false), dv, tf.zerosLike(m)];
      },
    };
  }) as never) as unknown as (q: Tensor3D, k: Tensor3D, v: Tensor3D, m: tf.Tensor) => Tensor3D;
  return core(q, k, v, mask);
}
