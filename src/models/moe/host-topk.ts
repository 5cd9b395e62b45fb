/**
 * Routing decisions on the host: tfjs TopK has no gradient, and the decision itself is
 * discrete, so the layer reads the scores back once and chooses here. The gate *weights* are
 * then taken from the scores inside the tape (kernels/slot-gather.ts).
 */

export interface HostTopK {
  /** [N·K] indices, per token in descending score order (ties: lower index first). */
  readonly idx: Int32Array;
  /** [N·K] the scores at those indices. */
  readonly val: Float32Array;
}

/** Top-K per row of a row-major [N, E] score matrix. */
export function hostTopK(scores: Float32Array | Float64Array, n: number, e: number, k: number): HostTopK {
  if (k > e) throw new RangeError(`top-${k} over ${e} experts`);
  const idx = new Int32Array(n * k);
  const val = new Float32Array(n * k);
  for (let t = 0; t < n; t++) {
    const row = t * e;
    const out = t * k;
    let filled = 0;
    for (let j = 0; j < e; j++) {
      const s = scores[row + j]!;
      if (filled === k && !(s > val[out + k - 1]!)) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && s > val[out + p - 1]!) {
        idx[out + p] = idx[out + p - 1]!;
        val[out + p] = val[out + p - 1]!;
        p--;
      }
      idx[out + p] = j;
      val[out + p] = s;
    }
  }
  return { idx, val };
}

/** Python 3 `round(x)` to an integer: halves go to the even neighbour (round(2.5) = 2). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
