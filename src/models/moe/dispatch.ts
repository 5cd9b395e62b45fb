import { tf, type Tensor2D } from '../tf.js';
import { disposeRowIndex, makeRowIndex, scatterRows, selectRows } from '../kernels/row-select.js';
import type { ExpertBank } from './experts/expert-bank.js';

export interface DispatchResult {
  /** [N, D] Σ_k combine[n,k]·expert_{slot}(x_n). */
  readonly y: Tensor2D;
  /** Token-slots dropped by the capacity factor. */
  readonly dropped: number;
  /** [bank.size] token-slots each expert computed. */
  readonly load: Int32Array;
}

/**
 * Dropless dispatch (MegaBlocks style, ts-stack.md §5c): counting-sort the token-slots by
 * expert on the host, move rows with an injective gather whose gradient is the inverse
 * scatter, run one 2-D computation per non-empty expert, move rows back, weight and sum.
 * With `capacityFactor`, an expert keeps at most ceil(cf·N·K/E) slots in token order; the
 * rest compute nothing and are counted in `dropped`.
 */
export function dispatch(x: Tensor2D, expertOf: Int32Array, k: number, combine: Tensor2D, bank: ExpertBank, capacityFactor?: number): DispatchResult {
  const [n, d] = x.shape;
  const e = bank.size;
  const cap = capacityFactor === undefined ? Infinity : Math.ceil((capacityFactor * n * k) / e);
  const load = new Int32Array(e);
  let dropped = 0;
  // Tiled row a = k·N + n holds token n, so each (token, slot) is its own source row.
  const keep = new Int32Array(n * k).fill(-1);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < k; j++) {
      const ex = expertOf[t * k + j]!;
      if (ex < 0) continue;
      if (ex >= e) throw new RangeError(`dispatch: expert ${ex} outside the bank of ${e}`);
      if (load[ex]! >= cap) { dropped++; continue; }
      load[ex]! += 1;
      keep[j * n + t] = ex;
    }
  }
  const start = new Int32Array(e + 1);
  for (let i = 0; i < e; i++) start[i + 1] = start[i]! + load[i]!;
  const m = start[e]!;
  if (m === 0) return { y: tf.zeros([n, d]), dropped, load };
  const sel = new Int32Array(m);
  const fill = start.slice(0, e);
  for (let a = 0; a < n * k; a++) {
    const ex = keep[a]!;
    if (ex >= 0) sel[fill[ex]!++] = a;
  }
  const ix = makeRowIndex(sel, n * k);
  const tiled = k === 1 ? x : (tf.concat(Array.from({ length: k }, () => x), 0) as Tensor2D);
  const sorted = selectRows(tiled, ix);
  const outs: Tensor2D[] = [];
  for (let ex = 0; ex < e; ex++) {
    const c = load[ex]!;
    if (c === 0) continue;
    const rows = c === m ? sorted : (tf.slice(sorted, [start[ex]!, 0], [c, d]) as Tensor2D);
    outs.push(bank.run(ex, rows));
  }
  const z = outs.length === 1 ? outs[0]! : (tf.concat(outs, 0) as Tensor2D);
  const back = scatterRows(z, ix);
  disposeRowIndex(ix);
  const w = tf.reshape(tf.transpose(combine), [k, n, 1]);
  const y = tf.sum(tf.mul(tf.reshape(back, [k, n, d]), w), 0) as Tensor2D;
  return { y, dropped, load };
}
