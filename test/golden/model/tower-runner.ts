/**
 * Runners of the vision-tower cases (README §9.3): `clip_tower`, `siglip_tower`,
 * `clip_moe_tower`, `siglip_moe_tower`. The tower is built from the case's config, its
 * params loaded by state_dict name, and objective = Σ features·R (+ aux_total) differentiated
 * for pixel_values and every param. Every `expected` leaf is checked; a leaf this runner does
 * not know fails, so a new expected key is never passed silently.
 */
import { tf, type Tensor, type Tensor4D, type Variable } from '../../../src/models/tf.js';
import { mlpActivation } from '../../../src/models/kernels/activations.js';
import { VisionTower } from '../../../src/models/vlm/tower/vision-tower.js';
import { reportedLoss } from '../../../src/models/vlm/tower/reported-aux.js';
import type { VisionTowerConfig } from '../../../src/models/vlm/tower/tower-config.js';
import { closeAux, closeTensor, exactInts, type Check } from '../compare.js';
import { float32, isEncodedTensor, leaves, values, type EncodedTensor, type ModelCase } from './model-case.js';
import { MODEL_FORWARD, MODEL_GRADIENT } from './tolerances.js';

/** The tower config a case describes (README §9.3 config keys). */
export function towerConfigOf(c: ModelCase): VisionTowerConfig {
  const k = c.config as Record<string, never>;
  const num = (name: string): number => {
    const v = k[name] as unknown;
    if (typeof v !== 'number') throw new Error(`${c.id}: config.${name} must be a number`);
    return v;
  };
  const arch = k['tower'] as string;
  if (arch !== 'clip' && arch !== 'siglip') throw new Error(`${c.id}: config.tower '${arch}' is not clip or siglip`);
  const moe = k['moe'] === true;
  return {
    arch, imageSize: num('image_size'), patchSize: num('patch_size'), hidden: num('D'), intermediate: num('I'),
    layers: num('L'), heads: num('heads'), activation: mlpActivation(k['hidden_act'] as string),
    layerNormEps: num('layer_norm_eps'), scales: k['scales'] as number[],
    // LibMoE's towers are built with moe_name 'smoe' (README §9.3).
    ...(moe ? { moe: { algorithm: 'smoe', nExperts: num('E'), topK: num('K'), options: { balance_loss_coef: num('balance_loss_coef'), router_z_loss_coef: num('router_z_loss_coef') } } } : {}),
  };
}

/** Host copies of everything the checks read, taken inside the gradient tape. */
interface Snapshot {
  readonly values: Map<string, ArrayLike<number>>;
  /** Per call, per layer: balance_loss and router_z_loss (the reported_* aggregation). */
  readonly perLayer: { balance: number[][]; z: number[][] };
}

function host(t: Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

function joined(ts: readonly Tensor[]): Float32Array {
  const parts = ts.map(host);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function runTowerCase(c: ModelCase): Check[] {
  const cfg = towerConfigOf(c);
  const tower = VisionTower.create(cfg);
  const owned: Tensor[] = [];
  try {
    tower.load(Object.fromEntries(Object.entries(c.params).map(([n, t]) => [n, { shape: t.shape, data: float32(t) }])));
    const px0 = c.inputs['pixel_values'] as EncodedTensor;
    const rIn = c.inputs['R'] as EncodedTensor;
    const pxInit = tf.tensor(float32(px0), px0.shape, 'float32');
    const px = tf.variable(pxInit, true);
    pxInit.dispose();
    const r = tf.tensor(float32(rIn), rIn.shape, 'float32');
    owned.push(px, r);
    const ctx = { training: true, step: 0, totalSteps: 1, collectInternals: true } as const;
    let snap: Snapshot | undefined;
    const varList: Variable[] = [px, ...tower.variables.values()];
    const { value, grads } = tf.variableGrads(() => {
      const fw = tower.forward(px as unknown as Tensor4D, ctx);
      let objective = tf.sum(tf.mul(fw.features, r));
      if (fw.auxTotal) objective = tf.add(objective, fw.auxTotal);
      const v = new Map<string, ArrayLike<number>>();
      const call0 = fw.calls[0]!;
      v.set('embeddings', host(call0.embeddings));
      v.set('hidden_states', joined(call0.hiddenStates));
      v.set('tower_output', host(call0.towerOutput));
      v.set('features', host(fw.features));
      if (fw.crops.length > 0) {
        v.set('s2.crops_pixel_values', joined(fw.crops));
        v.set('s2.crops_tower_output', joined(fw.calls.slice(1).map((k) => k.towerOutput)));
      }
      const balance: number[][] = [];
      const z: number[][] = [];
      fw.calls.forEach((call, ci) => {
        balance.push([]);
        z.push([]);
        call.moe.forEach((m, li) => {
          const p = `moe.call${ci}.layer${li}.`;
          for (const [k, t] of Object.entries(m.internals ?? {})) v.set(p + k, typeof t === 'number' ? [t] : t instanceof Int32Array || t instanceof Float32Array ? t : host(t));
          v.set(`${p}selected_experts`, m.selected);
          for (const [k, t] of Object.entries(m.aux)) v.set(p + k, host(t));
          v.set(`${p}aux`, host(m.auxTotal));
          balance[ci]!.push(m.aux['balance_loss']!.dataSync()[0]!);
          z[ci]!.push(m.aux['router_z_loss']!.dataSync()[0]!);
        });
      });
      if (fw.auxTotal) {
        v.set('aux.per_call_mean_over_layers', fw.calls.map((k) => k.aux!.dataSync()[0]!));
        v.set('aux.aux_total', host(fw.auxTotal));
        v.set('aux.reported_balance_loss', [reportedLoss(balance, true)]);
        v.set('aux.reported_router_z_loss', [reportedLoss(z)]);
      }
      v.set('objective', host(objective));
      snap = { values: v, perLayer: { balance, z } };
      return objective as tf.Scalar;
    }, varList);
    owned.push(value, ...Object.values(grads));
    const s = snap!;
    const nameOf = new Map<string, string>([['pixel_values', px.name], ...[...tower.variables].map(([k, vv]) => [k, vv.name] as [string, string])]);
    s.values.set('grads.pixel_values', grads[px.name]!.dataSync());
    const checks: Check[] = [];
    const expectedGrads = new Set<string>();
    for (const { path, value: want } of leaves(c.expected)) {
      if (path.startsWith('grads.')) {
        const name = path.slice('grads.'.length);
        expectedGrads.add(name);
        const tfName = nameOf.get(name);
        const wantV = typeof want === 'number' ? [want] : values(want);
        if (!tfName) { checks.push({ name: path, ok: false, detail: 'no such parameter in the tower' }); continue; }
        const got = grads[tfName]?.dataSync() ?? new Float32Array(wantV.length);
        checks.push(closeTensor(path, got, wantV, MODEL_GRADIENT));
        continue;
      }
      const got = s.values.get(path);
      if (!got) { checks.push({ name: path, ok: false, detail: 'expected key not produced by the tower runner' }); continue; }
      const wantV = typeof want === 'number' ? [want] : values(want);
      const leaf = path.slice(path.lastIndexOf('.') + 1);
      if (isEncodedTensor(want) && (want.dtype === 'int64' || leaf === 'selected_experts')) checks.push(exactInts(path, got, wantV));
      else if (path.startsWith('aux.') || ['balance_loss', 'router_z_loss', 'aux'].includes(leaf)) {
        for (let i = 0; i < wantV.length; i++) checks.push(...closeAux(wantV.length > 1 ? `${path}[${i}]` : path, got[i]!, wantV[i]!));
      } else checks.push(closeTensor(path, got, wantV, MODEL_FORWARD));
    }
    // Every param has a gradient entry (or is listed without one); those without are zero here.
    for (const name of Object.keys(c.params)) {
      const without = c.params_without_grad.includes(name);
      if (!expectedGrads.has(name) && !without) checks.push({ name: `grads.${name}`, ok: false, detail: 'expected has no gradient for this param' });
      if (without) {
        const g = grads[nameOf.get(name)!];
        const max = g ? Math.max(...Array.from(g.dataSync(), Math.abs)) : 0;
        checks.push({ name: `grads.${name} is zero`, ok: max === 0, detail: `max |grad| ${max}` });
      }
    }
    return checks;
  } finally {
    tf.dispose(owned);
    tower.dispose();
  }
}
