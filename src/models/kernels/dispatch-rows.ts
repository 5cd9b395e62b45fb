import { tf, type Tensor1D, type Tensor2D } from '../tf.js';
import { takeRows, withZeroRow } from './take-rows.js';

/**
 * Where each of the M computed token-slots sits, for N tokens with K slots each. Rows are in
 * expert order (counting sort on the host); a token appears once per kept slot.
 */
export interface DispatchPlan {
  readonly n: number;
  readonly k: number;
  readonly m: number;
  /** [M] token of each sorted row. */
  readonly token: Tensor1D;
  /** [M] slot n·K + k of each sorted row (to read its combine weight). */
  readonly slot: Tensor1D;
  /** K × [N]: sorted row of (token n, slot k), or M (a zero row) when that slot computes nothing. */
  readonly rowOf: Tensor1D[];
}

export function makeDispatchPlan(n: number, k: number, tokenOfRow: Int32Array, slotOfRow: Int32Array): DispatchPlan {
  const m = tokenOfRow.length;
  const rowOf = Array.from({ length: k }, () => new Int32Array(n).fill(m));
  for (let r = 0; r < m; r++) {
    const s = slotOfRow[r]!;
    rowOf[s % k]![Math.floor(s / k)] = r;
  }
  return {
    n, k, m,
    token: tf.tensor1d(tokenOfRow, 'int32'),
    slot: tf.tensor1d(slotOfRow, 'int32'),
    rowOf: rowOf.map((a) => tf.tensor1d(a, 'int32')),
  };
}

export function disposeDispatchPlan(p: DispatchPlan): void {
  tf.dispose([p.token, p.slot, ...p.rowOf]);
}

/**
 * x [N, D] → [M, D] rows in expert order. Gradient: Σ_k of the rows each slot took, gathered
 * back per slot (a token's K copies are K injective maps), so no segment-sum and no K-fold
 * tiling of x is needed.
 */
export function gatherTokens(x: Tensor2D, p: DispatchPlan): Tensor2D {
  const f = tf.customGrad(((xx: Tensor2D, save: tf.GradSaveFunc) => {
    save([p.token, ...p.rowOf]);
    return {
      value: takeRows(xx, p.token),
      gradFunc: (dy: Tensor2D, saved: tf.Tensor[]) => gatherTokensGrad(dy, saved.slice(1) as Tensor1D[]),
    };
  }) as never) as unknown as (x: Tensor2D) => Tensor2D;
  return f(x);
}

/** dx of the gather: Σ_k of the sorted rows' gradients, gathered back per slot (`rowOf`). */
export function gatherTokensGrad(dy: Tensor2D, rowOf: readonly Tensor1D[]): Tensor2D {
  const dz = withZeroRow(dy);
  const parts = rowOf.map((ix) => takeRows(dz, ix));
  return parts.length === 1 ? parts[0]! : (tf.addN(parts) as Tensor2D);
}

/**
 * z [M, D] expert outputs, w [N, K] combine weights → y[n] = Σ_k w[n,k]·z[row of (n,k)]
 * (0 for slots that computed nothing). Gradients: dz[r] = w[slot r]·dy[token r] and
 * dw[n,k] = ⟨dy[n], z[row of (n,k)]⟩.
 */
export function combineRows(z: Tensor2D, w: Tensor2D, p: DispatchPlan): Tensor2D {
  const f = tf.customGrad(((zz: Tensor2D, ww: Tensor2D, save: tf.GradSaveFunc) => {
    const { picked, y } = combineForward(zz, ww, p);
    save([ww, p.token, p.slot, ...picked]);
    return {
      value: y,
      gradFunc: (dy: Tensor2D, saved: tf.Tensor[]) => {
        const [sw, token, slot, ...g] = saved as [Tensor2D, Tensor1D, Tensor1D, ...Tensor2D[]];
        const { dz, dw } = combineGrad(dy, sw, token, slot, g, p);
        return [dz, dw];
      },
    };
  }) as never) as unknown as (z: Tensor2D, w: Tensor2D) => Tensor2D;
  return f(z, w);
}

/** The combine's forward: each slot's row of z (`picked`, K × [N, D], kept for dw) and y. */
export function combineForward(z: Tensor2D, w: Tensor2D, p: DispatchPlan): { readonly picked: Tensor2D[]; readonly y: Tensor2D } {
  const zp = withZeroRow(z);
  const picked = p.rowOf.map((ix) => takeRows(zp, ix));
  zp.dispose();
  const terms = picked.map((g, k) => tf.tidy(() => tf.mul(g, tf.slice(w, [0, k], [p.n, 1]))));
  if (terms.length === 1) return { picked, y: terms[0] as Tensor2D };
  const y = tf.addN(terms) as Tensor2D;
  tf.dispose(terms);
  return { picked, y };
}

/** The combine's gradients from the saved weights w, indices and picked rows. */
export function combineGrad(dy: Tensor2D, w: Tensor2D, token: Tensor1D, slot: Tensor1D, picked: readonly Tensor2D[], p: DispatchPlan): { readonly dz: Tensor2D; readonly dw: Tensor2D } {
  const wRow = takeRows(tf.reshape(w, [p.n * p.k, 1]), slot);
  const dz = tf.mul(takeRows(dy, token), wRow) as Tensor2D;
  const dw = tf.concat(picked.map((gk) => tf.sum(tf.mul(dy, gk), 1, true)), 1) as Tensor2D;
  return { dz, dw };
}
