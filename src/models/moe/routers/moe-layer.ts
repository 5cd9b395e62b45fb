import { tf, type Variable } from '../../tf.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { RouteInput, Routing } from '../routing.js';
import { linear, pickTopK, renormalise } from './common.js';
import { lmOptionSet, lmRegulariser, selectionActivation } from './lm-common.js';

const LM_OPTIONS = lmOptionSet(['standard', 'step', 'time', 'global']);

/**
 * `moe_layer` (LibMoE language_modeling/layers/moe_layer.py, σ-MoE): l = x·expert_selᵀ,
 * s = softmax(l) (`gate`) or σ(l) (`sigmoid`), top-K of s (unordered in LibMoE; we keep
 * descending order), w = v/(Σv + 1e-20), experts relu(x·keys[e])·values[e].
 * Regulariser: `standard` balance or the `step`/`time`/`global` entropy on the raw logits.
 */
function createMoeLayer({ spec, params: pf }: RouterContext): Router {
  const o = LM_OPTIONS.read(spec);
  const e = spec.nExperts;
  const sel = pf.normal('expert_sel', [e, spec.dModel], 1 / Math.sqrt(spec.dModel));
  return {
    variables: new Map<string, Variable>([['expert_sel', sel]]),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const k = spec.topK;
      const l = linear(x, sel);
      const s = selectionActivation(l, o.selection);
      const { idx, v } = pickTopK(s, k);
      const w = renormalise(v, 1e-20);
      const { aux, auxTotal } = lmRegulariser(o, s, l, idx, batch, seqLen, k);
      return {
        k, slots: idx, expertOf: idx, combine: w, probs: tf.softmax(l), aux, auxTotal,
        internals: { router_logits: l, selection_scores: s, gate_weights: w },
      };
    },
  };
}

export const moeLayer: RouterDef = { defaultExpert: 'relu-kv', options: LM_OPTIONS.options, create: createMoeLayer };
