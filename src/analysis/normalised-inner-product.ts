/**
 * Average normalised inner product (LibMoE LM `ani/keys`, `ani/values`, `ani/expert_sel`,
 * libmoe.md §6.1): the mean cosine similarity over all pairs of distinct rows of a matrix, e.g.
 * the experts' key or value matrices flattened one expert per row, or the router's selection
 * weights one expert per row. 0 for orthogonal experts, 1 for identical ones.
 */

/** `rows` × `cols`, row-major. A zero row has no direction: it is an error, not a silent 0. */
export function averageNormalisedInnerProduct(m: ArrayLike<number>, rows: number, cols: number): number {
  if (m.length !== rows * cols) throw new Error(`averageNormalisedInnerProduct: ${m.length} values for ${rows}×${cols}`);
  if (rows < 2) return NaN;
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += m[i * cols + c]! ** 2;
    norms[i] = Math.sqrt(s);
    if (norms[i] === 0) throw new Error(`averageNormalisedInnerProduct: row ${i} is all zeros`);
  }
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      if (i === j) continue;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += m[i * cols + c]! * m[j * cols + c]!;
      sum += dot / (norms[i]! * norms[j]!);
    }
  }
  return sum / (rows * (rows - 1));
}
