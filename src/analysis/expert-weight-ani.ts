/**
 * The average normalised inner product of each MoE layer's expert keys, values and selection
 * weights (LibMoE LM `ani/*`, logged by `MoE.before_loss` in language_modeling/layers/moe_layer.py),
 * over the rows LibMoE takes:
 *  - `keys`: `keys_to_logical_order(keys)`: keys [E, D, s] → E·s rows of length D, one per
 *    expert hidden unit (its input weights);
 *  - `values`: `values.flatten(0, -2)`: [E, s, D] → E·s rows of length D (its output weights);
 *  - `expert_sel`: `expert_selᵀ`: [R, D] → D rows of length R (one per input dimension).
 * Added here: `router_rows`, the router weight's own rows (R rows of length D: each expert's
 * selection vector; TC-MoE's R = 2E+K, X-MoE's expert_sel is its ⌊E/2⌋-row input reduction).
 * Experts of the VLM kind (`gelu-mlp`, `experts.{e}.0.weight` [H, D], `experts.{e}.2.weight`
 * [D_out, H]; a projector's D_out is the LM's width) give the same views: E·H hidden units' input rows and output rows. The router weight is
 * `expert_sel` (LM routers) or `gate.weight` (VLM routers); routers with neither (Hyper-R's
 * hypernetwork, X-MoE's VLM cosine router) have no selection rows. Shared experts are left out
 * (LibMoE's keys and values are the routed experts').
 */
import type { MoeLayerWeights, MoeParameter } from '../models/lm/moe-layer-weights.js';
import { UnitRowSum, type RowView } from './normalised-inner-product.js';

export type AniMatrix = 'keys' | 'values' | 'expert_sel' | 'router_rows';

export interface WeightAni {
  readonly layer: number;
  readonly matrix: AniMatrix;
  /** The parameter(s) read, LibMoE names (`experts.*.0.weight` for a VLM bank). */
  readonly parameter: string;
  readonly rows: number;
  readonly cols: number;
  readonly ani: number;
}

/** Weight names of each layer the ANI reads (for `moeLayerWeights`' filter). */
export function aniParameter(name: string): boolean {
  return name === 'keys' || name === 'values' || name === 'expert_sel' || name === 'gate.weight' || /^experts\.\d+\.[02]\.weight$/.test(name);
}

/** The rows of `m`'s blocks in order: `views` over the flat values of one or more parameters. */
type Blocks = readonly { readonly m: ArrayLike<number>; readonly view: RowView }[];

/** Row-major rows: [rows, cols] at `offset`. */
const rowMajor = (rows: number, cols: number, offset = 0): RowView => ({ rows, offset, rowStride: cols, colStride: 1 });
/** The rows of the transpose of [a, b] at `offset`: b rows of length a, read in place. */
const transposed = (a: number, b: number, offset = 0): RowView => ({ rows: b, offset, rowStride: 1, colStride: b });

function shapeError(layer: number, p: MoeParameter, want: string): Error {
  return new Error(`expert weight ANI: layer ${layer} parameter ${p.name} has shape [${p.shape.join(', ')}], expected ${want}`);
}

export function expertWeightAni(layers: readonly MoeLayerWeights[]): WeightAni[] {
  const out: WeightAni[] = [];
  for (const l of layers) {
    const by = new Map(l.params.map((p) => [p.name, p]));
    const push = (matrix: AniMatrix, parameter: string, blocks: Blocks, cols: number): void => {
      const acc = new UnitRowSum(cols);
      for (const { m, view } of blocks) acc.add(m, view);
      out.push({ layer: l.layer, matrix, parameter, rows: blocks.reduce((s, b) => s + b.view.rows, 0), cols, ani: acc.average() });
    };
    const keys = by.get('keys');
    const values = by.get('values');
    if (keys && values) {
      if (keys.shape.length !== 3) throw shapeError(l.layer, keys, '[E, D, s]');
      if (values.shape.length !== 3) throw shapeError(l.layer, values, '[E, s, D]');
      // keys_to_logical_order: expert x's s hidden units are the columns of its [D, s] block.
      const [e, d, s] = keys.shape as [number, number, number];
      push('keys', 'keys', Array.from({ length: e }, (_, x) => ({ m: keys.values, view: transposed(d, s, x * d * s) })), d);
      push('values', 'values', [{ m: values.values, view: rowMajor(values.shape[0]! * values.shape[1]!, values.shape[2]!) }], values.shape[2]!);
    } else if (by.has('experts.0.0.weight')) {
      const w1: { m: Float32Array; view: RowView }[] = [];
      const w2: { m: Float32Array; view: RowView }[] = [];
      let d = 0;
      let dOut = 0;
      for (let x = 0; x < l.nExperts; x++) {
        const a = by.get(`experts.${x}.0.weight`);
        const b = by.get(`experts.${x}.2.weight`);
        if (!a || !b) throw new Error(`expert weight ANI: layer ${l.layer} has no experts.${x}.0.weight / experts.${x}.2.weight (nExperts ${l.nExperts})`);
        const [h, dx] = a.shape as [number, number];
        d = dx;
        // The output width may differ from the input's (a VLM projector expert maps the tower's width to the LM's).
        dOut = b.shape[0]!;
        if (a.shape.length !== 2 || b.shape.length !== 2 || b.shape[1] !== h) throw shapeError(l.layer, b, `[D_out, ${h}] beside ${a.name} [${a.shape.join(', ')}]`);
        w1.push({ m: a.values, view: rowMajor(h, d) });
        w2.push({ m: b.values, view: transposed(dOut, h) });
      }
      push('keys', 'experts.*.0.weight', w1, d);
      push('values', 'experts.*.2.weight', w2, dOut);
    }
    const sel = by.get('expert_sel') ?? by.get('gate.weight');
    if (sel) {
      if (sel.shape.length !== 2) throw shapeError(l.layer, sel, '[R, D]');
      const [r, d] = sel.shape as [number, number];
      push('expert_sel', sel.name, [{ m: sel.values, view: transposed(r, d) }], r);
      push('router_rows', sel.name, [{ m: sel.values, view: rowMajor(r, d) }], d);
    }
  }
  return out;
}
