import { tf } from '../../tf.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

/**
 * `smoe` (SMoE-R, LibMoE smoe.py): l = x·W_gᵀ, p = softmax(l), top-K↓ of p, w = v/Σv.
 * Losses: Switch balance on the first pick and router z-loss.
 */
function createSmoe({ spec, params: pf }: RouterContext): Router {
  const gate = vlmGate(spec, pf, spec.nExperts);
  return switchRouter(spec, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(p, k);
    const w = renormalise(v, 0);
    return { idx, w, p, zLogits: l, internals: { router_logits: l, router_probs: p, gate_weights: w } };
  });
}

export const smoe: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE], create: createSmoe };
