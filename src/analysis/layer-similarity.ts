/**
 * How alike the layers route (libmoe.md §6.1 and §6.5). Two measures, because LibMoE has two:
 * - usage similarity (LM `moe_layer.py`, `layer_sel_similarity_100`): with u_l the normalised
 *   selection counts of layer l, S[l][m] = Σ_e min(u_l,e, u_m,e) / Σ_e u_l,e. It compares how much
 *   each expert index is used, not which tokens go where. Its mean is the universality score.
 * - token Jaccard (`paper/deepseek/analysis_overlap.ipynb`): mean over tokens of
 *   |S_l ∩ S_m| / |S_l ∪ S_m|, the same token's picks in two layers.
 * Comparing expert indices across layers only means something where layers share experts
 * (MoEUT-style universal layers) or for measuring how independent the layers are.
 */
import { assertComparable, expertCounts, type Routes } from './routes.js';

/** L×L, row-major. */
export function usageSimilarity(layers: readonly Routes[]): Float64Array {
  const L = layers.length;
  const u = layers.map((r) => {
    const c = expertCounts(r);
    const total = c.reduce((a, b) => a + b, 0);
    return total > 0 ? c.map((x) => x / total) : c;
  });
  const s = new Float64Array(L * L);
  for (let l = 0; l < L; l++) {
    const total = u[l]!.reduce((a, b) => a + b, 0);
    for (let m = 0; m < L; m++) {
      if (u[l]!.length !== u[m]!.length) throw new Error(`usageSimilarity: layer ${l} has ${u[l]!.length} experts, layer ${m} ${u[m]!.length}`);
      let shared = 0;
      for (let e = 0; e < u[l]!.length; e++) shared += Math.min(u[l]![e]!, u[m]![e]!);
      s[l * L + m] = total > 0 ? shared / total : NaN;
    }
  }
  return s;
}

export interface Universality {
  /** LibMoE's `universal_score`: the mean of the whole L×L similarity matrix, diagonal (1) included. */
  readonly score: number;
  /**
   * Mean over layers of the most similar *other* layer. LibMoE's `universal_score_optimist` takes
   * the row maximum with the diagonal included, which is always 1; we exclude the diagonal so the
   * number says something (1 for a single layer, where there is no other).
   */
  readonly optimist: number;
}

export function universality(similarity: Float64Array, layers: number): Universality {
  if (similarity.length !== layers * layers) throw new Error(`universality: ${similarity.length} entries for ${layers} layers`);
  if (layers === 0) return { score: NaN, optimist: NaN };
  let sum = 0;
  let best = 0;
  for (let l = 0; l < layers; l++) {
    let rowMax = layers === 1 ? 1 : -Infinity;
    for (let m = 0; m < layers; m++) {
      sum += similarity[l * layers + m]!;
      if (m !== l) rowMax = Math.max(rowMax, similarity[l * layers + m]!);
    }
    best += rowMax;
  }
  return { score: sum / (layers * layers), optimist: best / layers };
}

/** L×L, row-major: mean over tokens of the Jaccard index of the token's picks in layers l and m. */
export function tokenJaccard(layers: readonly Routes[]): Float64Array {
  const L = layers.length;
  const s = new Float64Array(L * L);
  for (let l = 0; l < L; l++) {
    for (let m = 0; m < L; m++) {
      const a = layers[l]!, b = layers[m]!;
      if (a.tokens !== b.tokens) assertComparable(a, b, `tokenJaccard layers ${l} and ${m}`);
      if (a.tokens === 0) { s[l * L + m] = NaN; continue; }
      let sum = 0;
      for (let t = 0; t < a.tokens; t++) {
        let shared = 0;
        for (let i = 0; i < a.k; i++) {
          const e = a.selected[t * a.k + i];
          for (let j = 0; j < b.k; j++) if (b.selected[t * b.k + j] === e) { shared++; break; }
        }
        sum += shared / (a.k + b.k - shared);
      }
      s[l * L + m] = sum / a.tokens;
    }
  }
  return s;
}
