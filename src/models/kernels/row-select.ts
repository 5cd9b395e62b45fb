import { tf, type Tensor1D, type Tensor2D } from '../tf.js';
import { takeRows, withZeroRow } from './take-rows.js';

/**
 * Injective row moves as a pair of mutually adjoint gathers (used for the differentiable
 * gate-weight gather and the statistics scatter).
 *
 * `sel[m]` names the source row of output row m (all distinct); `inv[r]` is the position of
 * row r in `sel`, or `sel.length` (a sentinel pointing at an appended zero row) when row r is
 * not selected. Each direction is a gather (`takeRows`) whose custom gradient is the other
 * direction: tf.gather's built-in gradient needs UnsortedSegmentSum, which wasm lacks and cpu
 * runs in O(rows²) (ts-stack.md §5b). Indices are host data, outside the tape; the index
 * tensors are handed to `save` (the engine keeps clones), so the caller may dispose its
 * RowIndex as soon as the forward call returns.
 */
export interface RowIndex {
  /** [M] int32: source rows, distinct. */
  readonly sel: Tensor1D;
  /** [R] int32: position of each source row in `sel`, or M when unselected. */
  readonly inv: Tensor1D;
  readonly m: number;
  readonly r: number;
}

export function makeRowIndex(sel: Int32Array, rows: number): RowIndex {
  const inv = new Int32Array(rows).fill(sel.length);
  for (let m = 0; m < sel.length; m++) {
    const row = sel[m]!;
    if (row < 0 || row >= rows) throw new RangeError(`makeRowIndex: row ${row} outside [0, ${rows})`);
    if (inv[row] !== sel.length) throw new Error(`makeRowIndex: row ${row} selected twice (the gather must be injective)`);
    inv[row] = m;
  }
  return { sel: tf.tensor1d(sel, 'int32'), inv: tf.tensor1d(inv, 'int32'), m: sel.length, r: rows };
}

export function disposeRowIndex(ix: RowIndex): void {
  ix.sel.dispose();
  ix.inv.dispose();
}

/** [R, D] → [M, D]: rows `sel` of x. Gradient: scatter back (unselected rows get 0). */
export function selectRows(x: Tensor2D, ix: RowIndex): Tensor2D {
  const f = tf.customGrad(((xx: Tensor2D, save: tf.GradSaveFunc) => {
    save([ix.sel, ix.inv]);
    return {
      value: takeRows(xx, ix.sel),
      gradFunc: (dy: Tensor2D, saved: tf.Tensor[]) => takeRows(withZeroRow(dy), saved[1] as Tensor1D),
    };
  }) as never) as unknown as (x: Tensor2D) => Tensor2D;
  return f(x);
}

/** [M, D] → [R, D]: row m of z lands on row sel[m]; other rows are 0. Gradient: select. */
export function scatterRows(z: Tensor2D, ix: RowIndex): Tensor2D {
  const f = tf.customGrad(((zz: Tensor2D, save: tf.GradSaveFunc) => {
    save([ix.sel, ix.inv]);
    return {
      value: takeRows(withZeroRow(zz), ix.inv),
      gradFunc: (dy: Tensor2D, saved: tf.Tensor[]) => takeRows(dy, saved[0] as Tensor1D),
    };
  }) as never) as unknown as (z: Tensor2D) => Tensor2D;
  return f(z);
}
