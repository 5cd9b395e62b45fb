import { tf, type Scalar, type Tensor2D, type Variable } from '../../tf.js';
import { matMul2D, matMulT } from '../../kernels/fast-matmul.js';
import { gatherSlots } from '../../kernels/slot-gather.js';
import { hostTopK } from '../host-topk.js';
import { hostScoresOf } from '../routing-reads.js';

/** x·Wᵀ (+ b) for a torch-layout weight W [out, in]. */
export function linear(x: Tensor2D, w: Variable | Tensor2D, b?: Variable | tf.Tensor1D): Tensor2D {
  const y = matMulT(x, w as Tensor2D, false, true);
  return b ? (tf.add(y, b) as Tensor2D) : y;
}

/**
 * The host copy of a score matrix (one read-back per routing call): the top-K is decided on
 * the host inside the (synchronous) forward pass. A synchronous read, or on backends that
 * cannot read synchronously the copy read asynchronously before the forward (routing-reads.ts).
 */
export function hostScores(s: Tensor2D): Float32Array {
  return hostScoresOf(s, 'routing top-K (src/models/moe/routers/common.ts hostScores)');
}

export interface Picked {
  readonly idx: Int32Array;
  /** [N·K] host copy of the selection scores at the picks. */
  readonly val: Float32Array;
  /** [N, K] differentiable values of `scores` at the picks. */
  readonly v: Tensor2D;
}

/** Top-K of `selectOn` decided on the host; values taken differentiably from `valuesFrom`. */
export function pickTopK(selectOn: Tensor2D, k: number, valuesFrom: Tensor2D = selectOn): Picked {
  const [n, e] = selectOn.shape;
  const { idx, val } = hostTopK(hostScores(selectOn), n, e, k);
  return { idx, val, v: gatherSlots(valuesFrom, idx, k) };
}

/** v / (Σ_k v + eps). */
export function renormalise(v: Tensor2D, eps: number): Tensor2D {
  return tf.div(v, tf.add(tf.sum(v, 1, true), eps)) as Tensor2D;
}

/** c_b·L_bal + c_z·L_z with both components reported. */
export function vlmAux(bal: Scalar, z: Scalar, cb: number, cz: number): { aux: Record<string, Scalar>; auxTotal: Scalar } {
  const auxTotal = tf.add(tf.mul(bal, cb), tf.mul(z, cz)) as Scalar;
  return { aux: { balance_loss: bal, router_z_loss: z, aux_total: auxTotal }, auxTotal };
}

/** The first pick of each token: [N]. */
export function firstPicks(idx: Int32Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let t = 0; t < n; t++) out[t] = idx[t * k]!;
  return out;
}

/** Row-wise x / max(‖x‖₂, eps) (torch.nn.functional.normalize). */
export function l2Normalize(x: Tensor2D, eps: number): Tensor2D {
  const norm = tf.sqrt(tf.sum(tf.square(x), 1, true));
  return tf.div(x, tf.maximum(norm, eps)) as Tensor2D;
}

/** Each row of `v` scaled to Euclidean norm `norm`. */
export function rowsRenormalised(v: Tensor2D, norm: number): Tensor2D {
  return tf.mul(v, tf.div(norm, tf.sqrt(tf.sum(tf.square(v), 1, true)))) as Tensor2D;
}

/**
 * X-MoE's in-place embedding renormalisation (no gradient): each row rescaled to `norm`.
 * The variable then holds ê, so the gradient the step computes is ∂/∂ê, as in LibMoE.
 */
export function renormaliseRowsInPlace(v: Variable, norm: number): void {
  const next = tf.tidy(() => rowsRenormalised(v as unknown as Tensor2D, norm));
  v.assign(next);
  next.dispose();
}

/** A routing's slot → expert map where zero-valued picks compute nothing (ReMoE). */
export function activeOnly(idx: Int32Array, val: Float32Array): { expertOf: Int32Array; mask: Int32Array } {
  const expertOf = Int32Array.from(idx, (j, i) => (val[i]! > 0 ? j : -1));
  const mask = Int32Array.from(val, (v) => (v > 0 ? 1 : 0));
  return { expertOf, mask };
}
