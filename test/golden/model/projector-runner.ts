/**
 * Runners of the projector cases (README §9.3 Projector, MoE projector): the dense
 * `mlp2x_gelu` projector and LibMoE's `MLPMoE`, upcycled from it, each checked on every
 * expected entry with the objective Σ output·R (+ aux_total) and its gradients.
 */
import { tf, type Tensor3D, type Variable } from '../../../src/models/tf.js';
import { Mlp2xGeluProjector } from '../../../src/models/vlm/projector/mlp2x-gelu.js';
import { MoeProjector } from '../../../src/models/vlm/projector/moe-projector.js';
import type { ProjectorDims } from '../../../src/models/vlm/projector/dims.js';
import type { DenseFfnWeights } from '../../../src/models/moe/upcycle-ffn.js';
import type { Check } from '../compare.js';
import { checkExpected, type Got } from './check-expected.js';
import { float32, type ModelCase } from './model-case.js';
import { floatInput, gradsInto, host, inputVariable, loadParams } from './runner-support.js';

function dimsOf(c: ModelCase): ProjectorDims {
  const k = c.config as { mm_hidden: number; scales: number[]; llm_hidden: number };
  return { mmHidden: k.mm_hidden, scales: k.scales, llmHidden: k.llm_hidden };
}

export function runDenseProjector(c: ModelCase): Check[] {
  const proj = new Mlp2xGeluProjector(dimsOf(c));
  const x = inputVariable(c, 'x');
  const r = floatInput(c, 'R');
  const got = new Map<string, Got>();
  try {
    loadParams(c, proj.variables);
    const { value, grads } = tf.variableGrads(() => {
      const out = proj.apply(x as unknown as Tensor3D);
      got.set('output', out.y.dataSync()).set('fc1_output', out.fc1.dataSync());
      return tf.sum(tf.mul(out.y, r)) as tf.Scalar;
    }, [x, ...proj.variables.values()]);
    got.set('objective', value.dataSync()[0]!);
    gradsInto(got, grads, new Map([['x', x]]), proj.variables);
    tf.dispose([value, ...Object.values(grads)]);
    return checkExpected(c, got);
  } finally {
    tf.dispose([x, r]);
    proj.dispose();
  }
}

/** The router is LibMoE's `--moe_name`, named in the case's `sources` (`SMoeLayer ('smoe')`). */
function routerName(c: ModelCase): string {
  const sources = (c as unknown as { sources?: { file: string; entry: string }[] }).sources ?? [];
  for (const s of sources) {
    const m = /\/moe\/[^/]+\.py$/.test(s.file) ? /\('([a-z0-9_]+)'\)/.exec(s.entry) : null;
    if (m) return m[1]!;
  }
  throw new Error(`${c.id}: no router named in sources`);
}

export function runMoeProjector(c: ModelCase): Check[] {
  const k = c.config as { E: number; K: number; balance_loss_coef: number; router_z_loss_coef: number; expert_perturbation: number };
  const dims = dimsOf(c);
  const p = (name: string): Float32Array => float32(c.params[name]!);
  // LibMoE's upcycling copies the dense projector into every expert; the case's dense weights
  // are those of experts.0 (the other experts are perturbed copies when expert_perturbation > 0).
  const dense: DenseFfnWeights = {
    w1: p('moelayer.experts.0.0.weight'), b1: p('moelayer.experts.0.0.bias'),
    w2: p('moelayer.experts.0.2.weight'), b2: p('moelayer.experts.0.2.bias'), hidden: dims.llmHidden,
  };
  const proj = MoeProjector.upcycle({
    dims, algorithm: routerName(c), nExperts: k.E, topK: k.K, seed: 1,
    options: { balance_loss_coef: k.balance_loss_coef, router_z_loss_coef: k.router_z_loss_coef },
  }, dense);
  // expert0_output = experts.0(x): the dense projector with the weights upcycling copied.
  const dense0 = new Mlp2xGeluProjector(dims);
  const x = inputVariable(c, 'x');
  const r = floatInput(c, 'R');
  const got = new Map<string, Got>();
  const checks: Check[] = [];
  try {
    if (k.expert_perturbation === 0) checks.push(upcycledExactly(c, proj.variables));
    loadParams(c, proj.variables);
    loadParams({ ...c, params: expert0Params(c) }, dense0.variables);
    const ctx = { training: true, step: 0, totalSteps: 1, collectInternals: true };
    const { value, grads } = tf.variableGrads(() => {
      const out = proj.apply(x as unknown as Tensor3D, ctx);
      got.set('output', out.y.dataSync()).set('selected_experts', out.selected);
      for (const [name, v] of Object.entries(out.internals ?? {})) got.set(name, host(v));
      for (const [name, v] of Object.entries(out.aux)) got.set(`aux.${name}`, v.dataSync()[0]!);
      return tf.add(tf.sum(tf.mul(out.y, r)), out.auxTotal) as tf.Scalar;
    }, [x, ...proj.variables.values()]);
    got.set('objective', value.dataSync()[0]!);
    gradsInto(got, grads, new Map([['x', x]]), proj.variables);
    tf.dispose([value, ...Object.values(grads)]);
    const e0 = tf.tidy(() => dense0.apply(x as unknown as Tensor3D).y.dataSync());
    got.set('expert0_output', e0);
    checks.push(...checkExpected(c, got, {
      unchecked: { gate_init_is_libmoe_seed42: 'a property of the stored gate.weight, which is loaded, never regenerated' },
    }));
    return checks;
  } finally {
    tf.dispose([x, r]);
    proj.dispose();
    dense0.dispose();
  }
}

/** experts.0's parameters under the dense projector's names (`moelayer.experts.0.0.weight` → `0.weight`). */
function expert0Params(c: ModelCase): ModelCase['params'] {
  const prefix = 'moelayer.experts.0.';
  return Object.fromEntries(Object.entries(c.params).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/** With expert_perturbation 0 every golden expert equals what upcycling from experts.0 made. */
function upcycledExactly(c: ModelCase, variables: ReadonlyMap<string, Variable>): Check {
  for (const [name, v] of variables) {
    if (!name.includes('.experts.')) continue;
    const want = float32(c.params[name]!);
    const have = v.dataSync();
    if (have.some((a, i) => a !== want[i])) return { name: 'upcycling', ok: false, detail: `${name} differs from the copy of experts.0` };
  }
  return { name: 'upcycling', ok: true, detail: 'every expert is the dense projector' };
}
