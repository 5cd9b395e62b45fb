/**
 * Run one golden case on the current backend and list every check (README §3): selections,
 * router internals, gate weights, output, each aux component, objective, the gradient of
 * every parameter and x, state after the call, dynamic K, expert counts.
 */
import { tf, type Tensor, type Variable } from '../../src/models/tf.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';
import { assignArray, upcycleDenseFfn, type DenseFfnWeights } from '../../src/models/moe/upcycle-ffn.js';
import { hyperDynamicK } from '../../src/models/moe/routers/hyperrouter.js';
import type { MoeLayer, MoeOutput } from '../../src/models/moe/types.js';
import { withRoutingRead } from '../../src/models/moe/routing-reads.js';
import { closeAux, closeTensor, exactInts, FORWARD, GRADIENT, type Check } from './compare.js';
import { f32, flat, isTensor, type GoldenCase, type GoldenTensor, type GoldenValue } from './golden-format.js';
import { contextFromCase, isLm, isUpcycling, specFromCase } from './case-spec.js';

type HostValue = Float32Array | Int32Array | number;

interface Snapshot {
  y: Float32Array;
  aux: Record<string, number>;
  auxTotal: number;
  objective: number;
  k: number;
  selected: Int32Array;
  internals: Record<string, HostValue>;
}

/** Keys checked by dedicated code below rather than as router internals. */
const SPECIAL = new Set(['output', 'aux', 'objective', 'grads', 'selected_experts', 'state_before', 'state_after',
  'dynamic_k_table', 'gate_init_is_libmoe_seed42', 'dense_output', 'max_abs_output_minus_dense', 'gate_weight_sums']);
/** Keys aligned slot by slot with `selected_experts`. */
const PER_SLOT = new Set(['gate_weights', 'signs', 'signed_gate_weights', 'gate_weights_signed', 'selected_valid_mask', 'base_experts']);

/** An internal's host copy, read asynchronously (webgpu cannot read synchronously in Node). */
async function host(v: Tensor | Int32Array | Float32Array | number): Promise<HostValue> {
  if (typeof v === 'number' || v instanceof Int32Array || v instanceof Float32Array) return v;
  const d = await v.data();
  return v.dtype === 'int32' ? Int32Array.from(d) : Float32Array.from(d);
}

/** Reads a tensor asynchronously. */
async function read(t: Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data() as Float32Array);
}

function buildLayer(c: GoldenCase): { layer: MoeLayer; skipLoad: (name: string) => boolean } {
  const spec = specFromCase(c);
  if (!isUpcycling(c)) return { layer: createMoeLayer(spec), skipLoad: () => false };
  const p = c.params;
  const need = (k: string): GoldenTensor => {
    const t = p[k];
    if (!t) throw new Error(`${c.id}: upcycling case lacks ${k}`);
    return t;
  };
  const dense: DenseFfnWeights = {
    w1: f32(need('dense.0.weight')), b1: f32(need('dense.0.bias')), w2: f32(need('dense.2.weight')), b2: f32(need('dense.2.bias')),
    hidden: need('dense.0.weight').shape[0]!,
  };
  // Experts must come from the dense FFN (that is what is tested); the router init is
  // LibMoE's torch RNG draw, which we load rather than reproduce.
  return { layer: upcycleDenseFfn(spec, dense), skipLoad: (n) => n.startsWith('experts.') || n.startsWith('dense.') };
}

export async function runCase(c: GoldenCase): Promise<Check[]> {
  const checks: Check[] = [];
  const { layer, skipLoad } = buildLayer(c);
  const tensors: Tensor[] = [];
  try {
    // Inputs: every parameter under its LibMoE name, as a variable or as layer state.
    const stateIn: Record<string, unknown> = { ...(layer.state() as Record<string, unknown>) };
    let stateTouched = false;
    for (const [name, t] of Object.entries(c.params)) {
      if (skipLoad(name)) continue;
      const v = layer.variables.get(name);
      if (v) {
        if (JSON.stringify(v.shape) !== JSON.stringify(t.shape)) throw new Error(`${c.id}: ${name} has shape ${JSON.stringify(v.shape)}, golden ${JSON.stringify(t.shape)}`);
        assignArray(v, f32(t));
      } else if (name in stateIn) {
        stateIn[name] = Array.from(f32(t));
        stateTouched = true;
      } else {
        throw new Error(`${c.id}: the layer has no parameter or state named ${name}`);
      }
    }
    const before = c.expected['state_before'];
    if (before && typeof before === 'object' && !isTensor(before) && !Array.isArray(before)) {
      for (const [k, v] of Object.entries(before)) {
        if (!(k in stateIn)) throw new Error(`${c.id}: state_before.${k} is not part of the layer state`);
        stateIn[k] = isTensor(v) ? Array.from(f32(v)) : v;
        stateTouched = true;
      }
    }
    if (stateTouched) layer.setState(stateIn as never);

    const x0 = tf.tensor(f32(c.inputs.x), c.inputs.x.shape, 'float32');
    const x = tf.variable(x0, true);
    x0.dispose();
    const r = tf.tensor(f32(c.inputs.R), c.inputs.R.shape, 'float32');
    tensors.push(x, r);
    const ctx = contextFromCase(c);
    const varList: Variable[] = [x, ...layer.variables.values()];
    // What the tape's forward hands out, kept past it and read asynchronously afterwards, with the
    // routing read first where the backend cannot read synchronously (routing-reads.ts): no
    // synchronous read-back, so the case runs on webgpu too.
    let kept: { out: MoeOutput; objective: tf.Scalar } | undefined;
    const { value, grads } = await withRoutingRead(() => layer.apply(x as unknown as tf.Tensor3D, ctx), () => tf.variableGrads(() => {
      const out = layer.apply(x as unknown as tf.Tensor3D, ctx);
      const objective = tf.add(tf.sum(tf.mul(out.y, r)), out.auxTotal) as tf.Scalar;
      for (const t of [out.y, out.auxTotal, objective, ...Object.values(out.aux), ...Object.values(out.internals ?? {})]) {
        if (t instanceof tf.Tensor) tensors.push(tf.keep(t));
      }
      kept = { out, objective };
      return objective;
    }, varList));
    tensors.push(value, ...Object.values(grads));
    const { out, objective } = kept!;
    const internals: Record<string, HostValue> = {};
    for (const [k, v] of Object.entries(out.internals ?? {})) internals[k] = await host(v);
    const aux: Record<string, number> = {};
    for (const [k, v] of Object.entries(out.aux)) aux[k] = (await read(v))[0]!;
    const s: Snapshot = {
      y: await read(out.y), aux, auxTotal: (await read(out.auxTotal))[0]!, objective: (await read(objective))[0]!,
      k: out.k, selected: out.selected, internals,
    };
    const e = c.expected;

    // Selections and everything aligned with them.
    const selWant = e['selected_experts'];
    let perm: Int32Array | null = null;
    if (isTensor(selWant)) {
      const [bb, tt, kk] = selWant.shape as [number, number, number];
      const n = bb * tt;
      if (s.k !== kk) {
        checks.push({ name: 'selected_experts', ok: false, detail: `K = ${s.k}, expected ${kk}` });
      } else {
        const res = alignSlots(c, s, flat(selWant), e['selected_valid_mask'], n, kk);
        perm = res.perm;
        checks.push(res.check);
      }
    }

    checks.push(closeTensor('output', s.y, flat(e.output), FORWARD));
    for (const [k, want] of Object.entries(e.aux)) {
      const got = s.aux[k];
      if (got === undefined) checks.push({ name: `aux.${k}`, ok: false, detail: `layer reports no aux '${k}' (has ${Object.keys(s.aux).join(', ')})` });
      else checks.push(...closeAux(`aux.${k}`, got, want));
    }
    for (const k of Object.keys(s.aux)) if (!(k in e.aux)) checks.push({ name: `aux.${k}`, ok: false, detail: 'reported by the layer but absent from the golden aux' });
    checks.push(closeTensor('objective', [s.objective], [e.objective], FORWARD));

    for (const [key, want] of Object.entries(e)) {
      if (SPECIAL.has(key)) continue;
      const got = s.internals[key];
      if (got === undefined) { checks.push({ name: key, ok: false, detail: 'not reported by the layer' }); continue; }
      checks.push(compareInternal(key, got, want, perm, s.k));
    }

    // Gradients of the objective w.r.t. x and every parameter.
    for (const [name, want] of Object.entries(e.grads)) {
      const wantFlat = flat(want);
      let got: ArrayLike<number>;
      if (name === 'x') got = await read(grads[x.name]!);
      else {
        const v = layer.variables.get(name);
        const g = v ? grads[v.name] : undefined;
        if (v) got = g ? await read(g) : new Float32Array(wantFlat.length);
        else if (c.params_without_grad.includes(name) || name in (layer.state() as object)) got = new Float32Array(wantFlat.length);
        else if (isUpcycling(c) && name.startsWith('dense.')) continue;
        else { checks.push({ name: `grad ${name}`, ok: false, detail: 'no such parameter' }); continue; }
      }
      checks.push(closeTensor(`grad ${name}`, got, wantFlat, GRADIENT));
    }

    // State after the call.
    const after = e['state_after'];
    if (after && typeof after === 'object' && !isTensor(after) && !Array.isArray(after)) {
      const st = layer.state() as Record<string, unknown>;
      for (const [k, want] of Object.entries(after)) {
        const v = layer.variables.get(k);
        const got: ArrayLike<number> | undefined = v ? await read(v) : toNumbers(st[k]);
        if (!got) { checks.push({ name: `state_after.${k}`, ok: false, detail: 'not in the layer state' }); continue; }
        checks.push(closeTensor(`state_after.${k}`, got, isTensor(want) ? flat(want) : [want as number], FORWARD));
      }
    }

    const table = e['dynamic_k_table'];
    if (Array.isArray(table)) {
      const bad = (table as Record<string, number>[]).filter((row) => hyperDynamicK(row['topk_min']!, row['topk_max']!, row['current_step']!, row['total_steps']!) !== row['k']);
      checks.push({ name: 'dynamic_k_table', ok: bad.length === 0, detail: bad.length ? `wrong for ${JSON.stringify(bad[0])}` : `${table.length} rows` });
    }

    if (isUpcycling(c)) checks.push(...(await upcyclingChecks(c, s)));
  } finally {
    layer.dispose();
    for (const t of tensors) t.dispose();
  }
  return checks;
}

function toNumbers(v: unknown): number[] | undefined {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

function alignSlots(c: GoldenCase, s: Snapshot, want: Float64Array, wantMaskV: GoldenValue | undefined, n: number, k: number): { perm: Int32Array | null; check: Check } {
  const wantMask = isTensor(wantMaskV) ? flat(wantMaskV) : null;
  const ourMaskV = s.internals['selected_valid_mask'];
  const ourMask = ourMaskV instanceof Int32Array ? ourMaskV : null;
  if (wantMask && !ourMask) return { perm: null, check: { name: 'selected_experts', ok: false, detail: 'layer reports no selected_valid_mask' } };
  const ordered = !isLm(c);
  const perm = new Int32Array(n * k);
  for (let t = 0; t < n; t++) {
    const used = new Array<boolean>(k).fill(false);
    const fail = (why: string) => ({ perm: null, check: { name: 'selected_experts', ok: false, detail: `token ${t}: ${why}; got [${Array.from(s.selected.slice(t * k, t * k + k))}], want [${Array.from(want.slice(t * k, t * k + k))}]` } });
    const wantValid = (j: number) => !wantMask || wantMask[t * k + j] === 1;
    const ourValid = (j: number) => !ourMask || ourMask[t * k + j] === 1;
    for (let j = 0; j < k; j++) {
      if (!wantValid(j)) continue;
      const target = want[t * k + j]!;
      let found = -1;
      if (ordered) found = s.selected[t * k + j] === target && ourValid(j) ? j : -1;
      else for (let q = 0; q < k; q++) if (!used[q] && ourValid(q) && s.selected[t * k + q] === target) { found = q; break; }
      if (found < 0) return fail(ordered ? `slot ${j} differs` : `expert ${target} not selected`);
      used[found] = true;
      perm[t * k + j] = t * k + found;
    }
    // ReMoE zero-weight slots: any index, but the same number of them.
    for (let j = 0; j < k; j++) {
      if (wantValid(j)) continue;
      const q = used.findIndex((u, i) => !u && !ourValid(i));
      if (q < 0) return fail('fewer zero-weight slots than expected');
      used[q] = true;
      perm[t * k + j] = t * k + q;
    }
    if (used.some((u) => !u)) return fail('more active slots than expected');
  }
  return { perm, check: { name: 'selected_experts', ok: true, detail: ordered ? 'same order' : 'same per-token sets' } };
}

function compareInternal(key: string, got: HostValue, want: GoldenValue, perm: Int32Array | null, k: number): Check {
  if (typeof want === 'number') {
    const g = typeof got === 'number' ? got : got.length === 1 ? got[0]! : NaN;
    if (Number.isInteger(want) && (key === 'dynamic_k')) return exactInts(key, [g], [want]);
    return closeTensor(key, [g], [want], FORWARD);
  }
  if (!isTensor(want)) return { name: key, ok: false, detail: 'unsupported golden value' };
  if (typeof got === 'number') return { name: key, ok: false, detail: 'layer reports a number, golden has a tensor' };
  let values: ArrayLike<number> = got;
  if (PER_SLOT.has(key)) {
    if (!perm) return { name: key, ok: false, detail: 'cannot align slots (selection mismatch)' };
    if (got.length !== perm.length) return { name: key, ok: false, detail: `size ${got.length}, expected ${perm.length} (K=${k})` };
    values = Array.from(perm, (p) => got[p]!);
  }
  return want.dtype === 'int64' ? exactInts(key, values, flat(want)) : closeTensor(key, values, flat(want), FORWARD);
}

async function upcyclingChecks(c: GoldenCase, s: Snapshot): Promise<Check[]> {
  const e = c.expected;
  const out: Check[] = [];
  const p = c.params;
  const dense = tf.tidy(() => {
    const xx = tf.tensor2d(f32(c.inputs.x), [c.inputs.x.shape[0]! * c.inputs.x.shape[1]!, c.inputs.x.shape[2]!]);
    const h = tf.add(tf.matMul(xx, tf.tensor(f32(p['dense.0.weight']!), p['dense.0.weight']!.shape as [number, number]) as tf.Tensor2D, false, true), tf.tensor(f32(p['dense.0.bias']!)));
    const g = tf.mul(tf.mul(h, 0.5), tf.add(tf.erf(tf.mul(h, Math.SQRT1_2)), 1));
    return tf.add(tf.matMul(g as tf.Tensor2D, tf.tensor(f32(p['dense.2.weight']!), p['dense.2.weight']!.shape as [number, number]) as tf.Tensor2D, false, true), tf.tensor(f32(p['dense.2.bias']!)));
  });
  const d = await read(dense);
  dense.dispose();
  const want = e['dense_output'];
  if (isTensor(want)) out.push(closeTensor('dense_output (reference)', d, flat(want), FORWARD));
  let maxDiff = 0;
  let maxDense = 0;
  for (let i = 0; i < d.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(s.y[i]! - d[i]!)); maxDense = Math.max(maxDense, Math.abs(d[i]!)); }
  const bound = FORWARD.rtol * maxDense + FORWARD.atol;
  out.push({ name: 'upcycled output = dense output', ok: maxDiff <= bound, detail: `max |Δ| ${maxDiff.toExponential(2)} vs ${bound.toExponential(2)}` });
  const sums = e['gate_weight_sums'];
  const gw = s.internals['gate_weights'];
  if (isTensor(sums) && gw instanceof Float32Array) {
    const n = gw.length / s.k;
    out.push(closeTensor('gate_weight_sums', Array.from({ length: n }, (_, t) => { let a = 0; for (let j = 0; j < s.k; j++) a += gw[t * s.k + j]!; return a; }), flat(sums), FORWARD));
  }
  return out;
}
