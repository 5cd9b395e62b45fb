/**
 * Per-layer routing summaries computed on the host from `LayerRoutingStats` (one step).
 * Definitions follow LibMoE's LM logging and the analyses in research/anchors.md part B.
 */
import type { LayerRoutingStats } from '../models/train-types.js';

/** MaxVio (Wang et al. 2024): max_e load_e / mean(load) − 1. 0 = perfectly balanced; NaN when nothing was routed. */
export function maxVio(load: ArrayLike<number>): number {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < load.length; i++) { max = Math.max(max, load[i]!); sum += load[i]!; }
  if (sum === 0) return NaN;
  return max / (sum / load.length) - 1;
}

/** Experts that received no token-slot. */
export function deadExperts(load: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < load.length; i++) if (load[i] === 0) n++;
  return n;
}

/** LibMoE's `usag_rel_perplexity`: exp(H(u))/E with u the normalised usage; 1 = uniform, 1/E = one expert takes all. */
export function usagePerplexity(load: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < load.length; i++) sum += load[i]!;
  if (sum === 0) return NaN;
  let h = 0;
  for (let i = 0; i < load.length; i++) {
    const u = load[i]! / sum;
    if (u > 0) h -= u * Math.log(u);
  }
  return Math.exp(h) / load.length;
}

/**
 * LibMoE's `layer_sel_overlap`: mean over tokens of |S_l(t) ∩ S_{l-1}(t)| / K_l, where S are
 * the selected expert ids of the same token in this MoE layer and the previous one (expert
 * ids compared as numbers, as LibMoE does). Needs both layers to have routed the same tokens.
 */
export function selectionOverlap(cur: LayerRoutingStats, prev: LayerRoutingStats): number {
  if (cur.tokens !== prev.tokens) throw new Error(`overlap: layer ${cur.layer} routed ${cur.tokens} tokens, layer ${prev.layer} ${prev.tokens}`);
  const k = cur.topK;
  const kp = prev.topK;
  if (cur.tokens === 0) return NaN;
  // Stamp the previous layer's picks of token t in a per-expert array (O(T·K), not O(T·K²)).
  let maxId = 0;
  for (const e of prev.selected) if (e > maxId) maxId = e;
  const stamp = new Int32Array(maxId + 1).fill(-1);
  let total = 0;
  for (let t = 0; t < cur.tokens; t++) {
    for (let j = 0; j < kp; j++) {
      const e = prev.selected[t * kp + j]!;
      if (e >= 0) stamp[e] = t;
    }
    let hit = 0;
    for (let i = 0; i < k; i++) {
      const e = cur.selected[t * k + i]!;
      if (e >= 0 && e <= maxId && stamp[e] === t) hit++;
    }
    total += hit / k;
  }
  return total / cur.tokens;
}

export interface LayerSummary {
  /** Mean over tokens of the top-k weight entropy / log k (LibMoE `entropy_weight_topk`); NaN for K = 1. */
  readonly entropyTopKNorm: number;
  /** Mean over tokens of the entropy of the full router distribution (nats). */
  readonly entropyFull: number;
  /** Mean over tokens of w_top1 − w_top2. */
  readonly margin: number;
  readonly maxVio: number;
  readonly deadExperts: number;
  readonly usagePerplexity: number;
  /** NaN for the first MoE layer. */
  readonly overlapPrev: number;
}

export function summariseLayer(stats: LayerRoutingStats, prev?: LayerRoutingStats): LayerSummary {
  const n = stats.tokens;
  const mean = (x: number): number => (n > 0 ? x / n : NaN);
  return {
    entropyTopKNorm: stats.topK > 1 ? mean(stats.entropyTopKSum) / Math.log(stats.topK) : NaN,
    entropyFull: mean(stats.entropyFullSum),
    margin: mean(stats.marginSum),
    maxVio: maxVio(stats.tokenSlots),
    deadExperts: deadExperts(stats.tokenSlots),
    usagePerplexity: usagePerplexity(stats.tokenSlots),
    overlapPrev: prev ? selectionOverlap(stats, prev) : NaN,
  };
}
