import { tf, type Tensor2D } from '../tf.js';
import { combineRows, disposeDispatchPlan, gatherTokens, makeDispatchPlan } from '../kernels/dispatch-rows.js';
import { runBank, type ExpertBank, type HiddenObserver } from './experts/expert-bank.js';

export interface DispatchResult {
  /** [N, D_out] Σ_k combine[n,k]·expert_{slot}(x_n). */
  readonly y: Tensor2D;
  /** Token-slots dropped by the capacity factor. */
  readonly dropped: number;
  /** [bank.size] token-slots each expert computed. */
  readonly load: Int32Array;
  /** Per computed row, in expert order (the order `observe` sees the hidden rows): its token. */
  readonly tokenOfRow: Int32Array;
}

/**
 * Dropless dispatch (MegaBlocks style, ts-stack.md §5c): counting-sort the token-slots by
 * expert on the host, gather token rows into expert order, run one 2-D computation per
 * non-empty expert, then gather each slot's row back and sum with the combine weights. Both
 * moves have custom gradients (kernels/dispatch-rows.ts): no segment-sum, no built-in gather
 * gradient, no K-fold copy of x.
 * With `capacityFactor`, an expert keeps at most ceil(cf·N·K/E) slots in token order; the
 * rest compute nothing and are counted in `dropped`.
 * `dOut`: the experts' output width (default the input's), for the all-dropped zero output.
 */
export function dispatch(x: Tensor2D, expertOf: Int32Array, k: number, combine: Tensor2D, bank: ExpertBank, capacityFactor?: number, observe?: HiddenObserver, dOut = x.shape[1]): DispatchResult {
  const n = x.shape[0];
  const e = bank.size;
  const cap = capacityFactor === undefined ? Infinity : Math.ceil((capacityFactor * n * k) / e);
  const load = new Int32Array(e);
  let dropped = 0;
  // keep[slot] = expert that computes token-slot n·K + k, or −1.
  const keep = new Int32Array(n * k).fill(-1);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < k; j++) {
      const ex = expertOf[t * k + j]!;
      if (ex < 0) continue;
      if (ex >= e) throw new RangeError(`dispatch: expert ${ex} outside the bank of ${e}`);
      if (load[ex]! >= cap) { dropped++; continue; }
      load[ex]! += 1;
      keep[t * k + j] = ex;
    }
  }
  const start = new Int32Array(e + 1);
  for (let i = 0; i < e; i++) start[i + 1] = start[i]! + load[i]!;
  const m = start[e]!;
  if (m === 0) return { y: tf.zeros([n, dOut]), dropped, load, tokenOfRow: new Int32Array(0) };
  const tokenOfRow = new Int32Array(m);
  const slotOfRow = new Int32Array(m);
  const fill = start.slice(0, e);
  for (let slot = 0; slot < n * k; slot++) {
    const ex = keep[slot]!;
    if (ex < 0) continue;
    const r = fill[ex]!++;
    tokenOfRow[r] = Math.floor(slot / k);
    slotOfRow[r] = slot;
  }
  const plan = makeDispatchPlan(n, k, tokenOfRow, slotOfRow);
  const y = bank.runDispatched
    ? bank.runDispatched(x, combine, plan, load, observe)
    : combineRows(runBank(bank, gatherTokens(x, plan), load, observe), combine, plan);
  disposeDispatchPlan(plan);
  return { y, dropped, load, tokenOfRow };
}
