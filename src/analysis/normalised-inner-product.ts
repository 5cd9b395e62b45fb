/**
 * Average normalised inner product (LibMoE LM `ani/keys`, `ani/values`, `ani/expert_sel`,
 * libmoe.md §6.1; `MoE.ani` in language_modeling/layers/moe_layer.py): the mean cosine
 * similarity over all ordered pairs of distinct rows of a matrix. 0 for orthogonal rows, 1 for
 * rows that all point the same way. Which rows LibMoE takes for each parameter:
 * expert-weight-ani.ts.
 */

/**
 * `rows` × `cols`, row-major. As LibMoE (`F.normalize`, eps 1e-12), a zero row has similarity 0
 * with every row but still counts in the rows·(rows−1) pairs. Computed as
 * (‖Σ_i u_i‖² − Σ_i ‖u_i‖²) / (rows·(rows−1)) over the unit rows u_i: O(rows·cols), not O(rows²·cols).
 */
export function averageNormalisedInnerProduct(m: ArrayLike<number>, rows: number, cols: number): number {
  if (m.length !== rows * cols) throw new Error(`averageNormalisedInnerProduct: ${m.length} values for ${rows}×${cols}`);
  if (rows < 2) return NaN;
  const sum = new Float64Array(cols);
  let selfDots = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += m[i * cols + c]! ** 2;
    const norm = Math.sqrt(s);
    if (norm === 0) continue;
    for (let c = 0; c < cols; c++) sum[c] = sum[c]! + m[i * cols + c]! / norm;
    selfDots += s / (norm * norm);
  }
  let total = 0;
  for (let c = 0; c < cols; c++) total += sum[c]! ** 2;
  return (total - selfDots) / (rows * (rows - 1));
}
