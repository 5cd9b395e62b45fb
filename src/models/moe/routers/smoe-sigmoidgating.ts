import { tf } from '../../tf.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

/**
 * `smoe_sigmoidgating` (σ-MoE, LibMoE main): l = x·W_gᵀ, selection on s = σ(l), w = v/Σv
 * (the K sigmoid scores renormalised). softmax(l) enters only the balance loss (top-1).
 */
function createSmoeSigmoidGating({ spec, params: pf }: RouterContext): Router {
  const gate = vlmGate(spec, pf, spec.nExperts);
  return switchRouter(spec, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const s = tf.sigmoid(l);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(s, k);
    const w = renormalise(v, 0);
    return { idx, w, p, zLogits: l, internals: { router_logits: l, router_probs: p, selection_scores: s, gate_weights: w } };
  });
}

export const smoeSigmoidGating: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE], create: createSmoeSigmoidGating };
