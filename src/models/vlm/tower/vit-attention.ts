import { tf, type Tensor, type Tensor2D } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';

/** One attention block's projections in torch layout (weight [out, in], bias [out]). */
export interface VitAttentionWeights {
  readonly q: { readonly weight: Tensor; readonly bias: Tensor };
  readonly k: { readonly weight: Tensor; readonly bias: Tensor };
  readonly v: { readonly weight: Tensor; readonly bias: Tensor };
  readonly out: { readonly weight: Tensor; readonly bias: Tensor };
}

/** torch's `Linear`: x·Wᵀ + b on [N, in]. */
export function linear(x: Tensor2D, p: { readonly weight: Tensor; readonly bias?: Tensor }): Tensor2D {
  const y = matMul2D(x, tf.transpose(p.weight as Tensor2D));
  return p.bias ? (tf.add(y, p.bias) as Tensor2D) : y;
}

/**
 * Bidirectional multi-head self-attention, no mask (HF `CLIPAttention` / `SiglipAttention`):
 * x [B·T, D] → out_proj(concat_h softmax(q_h·k_hᵀ/√hd)·v_h). Kept 2-D, one matmul pair per
 * (image, head), as the LM's attention (tfjs-wasm's batched matmul is slow).
 */
export function vitSelfAttention(x: Tensor2D, w: VitAttentionWeights, batch: number, heads: number): Tensor2D {
  const d = x.shape[1];
  const hd = d / heads;
  const split = (t: Tensor2D): Tensor2D[][] => {
    const cols = heads === 1 ? [t] : (tf.split(t, heads, 1) as Tensor2D[]);
    return cols.map((c) => (batch === 1 ? [c] : (tf.split(c, batch, 0) as Tensor2D[])));
  };
  const q = split(tf.mul(linear(x, w.q), 1 / Math.sqrt(hd)) as Tensor2D);
  const k = split(linear(x, w.k));
  const v = split(linear(x, w.v));
  const perHead = q.map((qh, h) => {
    const perImage = qh.map((qb, b) => matMul2D(tf.softmax(matMul2D(qb, tf.transpose(k[h]![b]!))) as Tensor2D, v[h]![b]!));
    return batch === 1 ? perImage[0]! : (tf.concat(perImage, 0) as Tensor2D);
  });
  return linear(heads === 1 ? perHead[0]! : (tf.concat(perHead, 1) as Tensor2D), w.out);
}
