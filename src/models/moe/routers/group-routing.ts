import { hostTopK } from '../host-topk.js';

export interface GroupTopK {
  readonly idx: Int32Array;
  /** [N·n_group] sum of the 2 largest biased scores per group. */
  readonly groupScores: Float32Array;
  /** [N·n_group] 1 for the kept groups. */
  readonly groupMask: Int32Array;
}

/**
 * DeepSeek group-limited selection on the host (golden README §5.19): c = s + b; keep the
 * `topkGroup` groups (consecutive blocks of E/n_group experts) with the largest sum of their
 * top-2 c; the other experts are masked to 0.0 — not −∞, as LibMoE does, so with
 * non-positive kept scores masked experts can win ties — then top-K of the masked c.
 */
export function groupLimitedTopK(s: Float32Array, bias: Float32Array, n: number, e: number, k: number, nGroup: number, topkGroup: number): GroupTopK {
  const per = e / nGroup;
  const idx = new Int32Array(n * k);
  const groupScores = new Float32Array(n * nGroup);
  const groupMask = new Int32Array(n * nGroup);
  const c = new Float32Array(e);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < e; j++) c[j] = s[t * e + j]! + bias[j]!;
    for (let g = 0; g < nGroup; g++) {
      const top = hostTopK(c.subarray(g * per, (g + 1) * per), 1, per, Math.min(2, per));
      groupScores[t * nGroup + g] = top.val.reduce((a, b) => a + b, 0);
    }
    const kept = hostTopK(groupScores.subarray(t * nGroup, (t + 1) * nGroup), 1, nGroup, topkGroup).idx;
    for (const g of kept) groupMask[t * nGroup + g] = 1;
    for (let j = 0; j < e; j++) if (groupMask[t * nGroup + Math.floor(j / per)] === 0) c[j] = 0;
    idx.set(hostTopK(c, 1, e, k).idx, t * k);
  }
  return { idx, groupScores, groupMask };
}

/**
 * Aux-loss-free bias update, once per call over all B·T·K picks:
 * b_e ← b_e + step·sign(mean_e' n_e' − n_e), sign(0) = 0.
 */
export function updateBias(bias: Float32Array, idx: Int32Array, e: number, step: number): { bias: Float32Array; counts: Int32Array } {
  const counts = new Int32Array(e);
  for (const j of idx) counts[j]! += 1;
  const mean = idx.length / e;
  const next = Float32Array.from(bias, (b, j) => b + step * Math.sign(mean - counts[j]!));
  return { bias: next, counts };
}
