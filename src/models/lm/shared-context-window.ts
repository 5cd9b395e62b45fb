/**
 * One attention window that holds a context once and several continuations after it, each
 * continuation seeing the context and its own earlier tokens only (a prefix tree of depth one).
 *
 * A multiple-choice item's options share their context; scored one sequence per option the
 * context is read (and its FFN/attention computed) once per option. Here every token gets the
 * position id it has in its own sequence (context 0..c−1, option i c..c+nᵢ−2) and an attention
 * row that admits exactly the tokens before it in that sequence, so each option's
 * log-probabilities are those of its own plain forward: the same sums, with the same RoPE
 * angles, over the same keys. (The MoE FFN is per token; LibMoE's LM routers are token-choice and
 * dropless, so a token's route does not depend on the others in the window.)
 *
 *   rows:      c0 c1 c2 | a0 a1 | b0 b1 b2        (context c, options a and b)
 *   positions:  0  1  2 |  3  4 |  3  4  5
 *   a1 attends to c0 c1 c2 a0 a1;  b0 attends to c0 c1 c2 b0
 *
 * Row c−1 (the last context token) predicts the first token of every option.
 */

/** A context and the continuations scored after it. */
export interface SharedContextGroup {
  readonly context: Int32Array;
  readonly continuations: readonly Int32Array[];
}

/** Where each prediction of a group sits in its window. */
export interface GroupPlacement {
  /** Rows of the window the group occupies (the rest of the padded window is padding). */
  readonly rows: number;
  /** Per continuation: the window row whose output predicts each of its tokens. */
  readonly continuationRows: readonly Int32Array[];
  /** Rows 0..c−2 predict context tokens 1..c−1 (LibMoE's unnormalised score counts them). */
  readonly contextRows: Int32Array;
}

/** Rows a group needs: the context once, then each continuation without its last token. */
export function groupRows(g: SharedContextGroup): number {
  return g.continuations.reduce((n, k) => n + k.length - 1, g.context.length);
}

/**
 * Writes group `g` into window `w` of a batch of `T`-row windows: token ids, position ids and
 * the additive attention mask (0 = may attend, −1e9 = may not; [B·T, T] row-major). Padding rows
 * after the group attend to themselves only, and no real row attends to them. Without `mask`
 * (every window one causal sequence) only ids and positions are written.
 */
export function placeGroup(g: SharedContextGroup, w: number, T: number, ids: Int32Array, positions: Int32Array, mask?: Float32Array): GroupPlacement {
  const c = g.context.length;
  const base = w * T;
  const allow = mask ? (row: number, col: number): void => { mask[(base + row) * T + col] = 0; } : (): void => undefined;
  mask?.fill(-1e9, base * T, (base + T) * T);
  for (let t = 0; t < c; t++) {
    ids[base + t] = g.context[t]!;
    positions[base + t] = t;
    for (let s = 0; s <= t; s++) allow(t, s);
  }
  let row = c;
  const continuationRows = g.continuations.map((k) => {
    const n = k.length;
    const first = row;
    const predicting = new Int32Array(n);
    predicting[0] = c - 1;
    for (let j = 0; j < n - 1; j++) {
      const r = first + j;
      ids[base + r] = k[j]!;
      positions[base + r] = c + j;
      for (let s = 0; s < c; s++) allow(r, s);
      for (let s = first; s <= r; s++) allow(r, s);
      predicting[j + 1] = r;
    }
    row += n - 1;
    return predicting;
  });
  for (let r = row; r < T; r++) {
    ids[base + r] = 0;
    positions[base + r] = 0;
    allow(r, r);
  }
  return { rows: row, continuationRows, contextRows: Int32Array.from({ length: Math.max(0, c - 1) }, (_, t) => t) };
}
