import type { Tensor2D, Variable } from '../../tf.js';
import { concatRows, rowBlock } from '../../kernels/row-blocks.js';
import type { DispatchPlan } from '../../kernels/dispatch-rows.js';

/**
 * Sees a bank's hidden activations as the forward computes them: one [m_e, hidden] block per
 * non-empty expert, in expert order (so the blocks' rows are the sorted rows). Only ReLU banks
 * (relu-kv) call it, for LibMoE's `relu_pass_rate`; it must not change the computation.
 */
export type HiddenObserver = (hidden: readonly Tensor2D[]) => void;

/**
 * The experts a router can send token rows to, by bank index. Dispatch calls `run` once per
 * non-empty expert with that expert's rows, so any per-expert function fits (FFNs, MoE++'s
 * constant expert). Router slots that compute nothing (null, zero expert, dropped) never
 * reach the bank.
 */
export interface ExpertBank {
  readonly size: number;
  /** Trainable parameters by LibMoE state_dict name (unprefixed). */
  readonly variables: ReadonlyMap<string, Variable>;
  /** rows [n, D] → [n, D] through expert e. */
  run(e: number, rows: Tensor2D): Tensor2D;
  /** Optional whole-bank op: rows [M, D] sorted by expert, counts[e] rows each (zeros
   *  allowed) → outputs in the same order. Dispatch prefers it to calling `run` per expert. */
  runGrouped?(rows: Tensor2D, counts: Int32Array, observe?: HiddenObserver): Tensor2D;
  /** Optional gather + whole bank + weighted combine as one op: tokens x [N, D], combine
   *  weights [N, K] → y [N, D], the same numbers as gather, `runGrouped`, combine. Dispatch
   *  prefers it: the [N·K, D] intermediates then never outlive the op (less memory kept for
   *  backward). */
  runDispatched?(x: Tensor2D, combine: Tensor2D, plan: DispatchPlan, counts: Int32Array, observe?: HiddenObserver): Tensor2D;
}

/** Concatenate banks: indices of `b` follow those of `a`. */
export function joinBanks(...banks: ExpertBank[]): ExpertBank {
  const variables = new Map<string, Variable>();
  const offsets: number[] = [];
  let size = 0;
  for (const b of banks) {
    offsets.push(size);
    size += b.size;
    for (const [k, v] of b.variables) {
      if (variables.has(k)) throw new Error(`joinBanks: parameter ${k} defined twice`);
      variables.set(k, v);
    }
  }
  return {
    size,
    variables,
    run(e, rows) {
      for (let i = banks.length - 1; i >= 0; i--) if (e >= offsets[i]!) return banks[i]!.run(e - offsets[i]!, rows);
      throw new RangeError(`expert ${e}`);
    },
    // Each part takes its contiguous block of the sorted rows, so a part with a grouped op
    // (MoE++'s FFNs) keeps it instead of falling back to expert-by-expert calls.
    runGrouped(rows, counts, observe) {
      const outs: Tensor2D[] = [];
      let start = 0;
      banks.forEach((b, i) => {
        const part = counts.subarray(offsets[i]!, offsets[i]! + b.size);
        const m = part.reduce((a, c) => a + c, 0);
        if (m === 0) return;
        outs.push(runBank(b, rowBlock(rows, start, m), part, observe));
        start += m;
      });
      return concatRows(outs);
    },
  };
}

/**
 * rows [M, D] sorted by expert (counts[e] each, zeros allowed, M > 0) → outputs in the same
 * order: the bank's grouped op when it has one, else `run` per non-empty expert.
 */
export function runBank(bank: ExpertBank, rows: Tensor2D, counts: Int32Array, observe?: HiddenObserver): Tensor2D {
  if (bank.runGrouped) return bank.runGrouped(rows, counts, observe);
  const outs: Tensor2D[] = [];
  let start = 0;
  counts.forEach((c, e) => {
    if (c === 0) return;
    outs.push(bank.run(e, rowBlock(rows, start, c)));
    start += c;
  });
  return concatRows(outs);
}
