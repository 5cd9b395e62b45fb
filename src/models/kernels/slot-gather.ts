import { tf, type Tensor2D } from '../tf.js';
import { disposeRowIndex, makeRowIndex, scatterRows, selectRows } from './row-select.js';

/**
 * Differentiable `scores[n, idx[n·K + k]]` → [N, K] for host indices (tf's GatherNd and TopK
 * have no gradient). A token's K picks are distinct, so the flat gather is injective and its
 * gradient is the adjoint scatter of row-select.ts. A negative index reads as 0 (empty slot).
 */
export function gatherSlots(scores: Tensor2D, idx: Int32Array, k: number): Tensor2D {
  const [n, e] = scores.shape;
  const sel: number[] = [];
  const pos: number[] = [];
  for (let i = 0; i < n * k; i++) {
    const j = idx[i]!;
    if (j >= e) throw new RangeError(`gatherSlots: index ${j} outside [0, ${e})`);
    if (j >= 0) { sel.push(Math.floor(i / k) * e + j); pos.push(i); }
  }
  const flatIx = makeRowIndex(Int32Array.from(sel), n * e);
  let picked = selectRows(tf.reshape(scores, [n * e, 1]), flatIx);
  disposeRowIndex(flatIx);
  if (pos.length !== n * k) {
    const slotIx = makeRowIndex(Int32Array.from(pos), n * k);
    picked = scatterRows(picked, slotIx);
    disposeRowIndex(slotIx);
  }
  return tf.reshape(picked, [n, k]);
}
