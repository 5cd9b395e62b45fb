import type { Json } from '../../../base/json.js';
import { tf, type Scalar, type Variable } from '../../tf.js';
import { remoeL1 } from '../losses/remoe-l1.js';
import { numberOption, rangeOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { RouteInput, Routing } from '../routing.js';
import { activeOnly, hostScores, linear, pickTopK } from './common.js';

/** ReMoE's adaptive λ step: ×m below the target sparsity, ÷m otherwise, clamped, float32. */
export function nextRemoeLambda(lambda: number, sparsity: number, target: number, multiplier: number, lo: number, hi: number): number {
  // torch compares the float32 sparsity tensor with the target cast to float32.
  const next = Math.fround(sparsity) < Math.fround(target) ? lambda * multiplier : lambda / multiplier;
  return Math.fround(Math.min(hi, Math.max(lo, next)));
}

const LAMBDA_INIT = numberOption('lambda_init', 1e-8, 'initial λ of the L1 regulariser (state `lambda` afterwards)');
const LAMBDA_MULTIPLIER = numberOption('lambda_multiplier', 1.2, 'λ is multiplied (below the target sparsity) or divided by this each training call');
const LAMBDA_CLAMP = rangeOption('lambda_clamp', [1e-6, 100], 'λ is clamped to [low, high] after each update');

/**
 * `moe_layer_remoe` (LibMoE b5d10f1, selection_mode relu, fixed per-expert L1): r = relu(l),
 * top-K of r, w = v with no renormalisation (zero slots compute nothing). In training, λ is
 * updated BEFORE the loss from this call's sparsity 1 − #{l>0}/(N·E) against 1 − K/E, and the
 * loss uses the new λ: aux_total = λ'·L1. λ is state (`lambda`), float32 as in LibMoE.
 */
function createMoeLayerRemoe({ spec, params: pf }: RouterContext): Router {
  const e = spec.nExperts;
  const mult = LAMBDA_MULTIPLIER.read(spec);
  const [lo, hi] = LAMBDA_CLAMP.read(spec);
  let lambda = Math.fround(LAMBDA_INIT.read(spec));
  const sel = pf.normal('expert_sel', [e, spec.dModel], 1 / Math.sqrt(spec.dModel));
  return {
    variables: new Map<string, Variable>([['expert_sel', sel]]),
    route({ x, ctx }: RouteInput): Routing {
      const k = spec.topK;
      const n = x.shape[0];
      const l = linear(x, sel);
      const r = tf.relu(l);
      const { idx, val, v } = pickTopK(r, k);
      const { expertOf, mask } = activeOnly(idx, val);
      const lh = hostScores(l);
      const active = new Float32Array(e);
      let positive = 0;
      for (let i = 0; i < lh.length; i++) if (lh[i]! > 0) { active[i % e]! += 1; positive++; }
      const sparsity = Math.fround(1 - positive / (n * e));
      const target = 1 - k / e;
      if (ctx.training && !ctx.routingProbe) lambda = nextRemoeLambda(lambda, sparsity, target, mult, lo, hi);
      const l1 = remoeL1(r, active);
      const auxTotal = tf.mul(l1, lambda) as Scalar;
      return {
        k, slots: idx, expertOf, combine: v, probs: tf.softmax(l), aux: { l1_loss: l1, aux_total: auxTotal }, auxTotal,
        internals: { router_logits: l, selection_scores: r, gate_weights: v, selected_valid_mask: mask, sparsity, target_sparsity: target },
      };
    },
    state(): Json {
      return { lambda };
    },
    setState(st: Json): void {
      const v = (st as { lambda?: unknown }).lambda;
      if (typeof v !== 'number' || !(v > 0)) throw new Error(`${spec.algorithm}: state.lambda must be a positive number`);
      lambda = Math.fround(v);
    },
  };
}

export const moeLayerRemoe: RouterDef = { defaultExpert: 'relu-kv', options: [LAMBDA_INIT, LAMBDA_MULTIPLIER, LAMBDA_CLAMP], create: createMoeLayerRemoe };
