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
  const acc = new UnitRowSum(cols);
  acc.add(m, { rows, offset: 0, rowStride: cols, colStride: 1 });
  return acc.average();
}

/** Where `rows` rows of a matrix lie in a flat array: element (i, c) at offset + i·rowStride + c·colStride. */
export interface RowView {
  readonly rows: number;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * The average normalised inner product accumulated over rows given as strided views, so a
 * matrix's transpose or a stack of per-expert blocks is read in place instead of copied into a
 * row-major array first. Rows are taken in the order added; the result is the same number
 * `averageNormalisedInnerProduct` gives on the copied matrix.
 */
export class UnitRowSum {
  private readonly sum: Float64Array;
  private rows = 0;
  private selfDots = 0;

  constructor(private readonly cols: number) {
    this.sum = new Float64Array(cols);
  }

  add(m: ArrayLike<number>, v: RowView): void {
    const { cols, sum } = this;
    for (let i = 0; i < v.rows; i++) {
      const at = v.offset + i * v.rowStride;
      let s = 0;
      for (let c = 0; c < cols; c++) s += m[at + c * v.colStride]! ** 2;
      const norm = Math.sqrt(s);
      if (norm === 0) continue;
      for (let c = 0; c < cols; c++) sum[c] = sum[c]! + m[at + c * v.colStride]! / norm;
      this.selfDots += s / (norm * norm);
    }
    this.rows += v.rows;
  }

  /** NaN for fewer than two rows. */
  average(): number {
    if (this.rows < 2) return NaN;
    let total = 0;
    for (let c = 0; c < this.cols; c++) total += this.sum[c]! ** 2;
    return (total - this.selfDots) / (this.rows * (this.rows - 1));
  }
}
