import { tf } from '../../tf.js';
import { numberOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { activeOnly, linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

const WEIGHT_DENOMINATOR_EPS = numberOption('weight_denominator_eps', 1e-6, 'ε in w = v/(Σv + ε)');

/**
 * `remoe` (ReMoE, VLM variant of LibMoE b5d10f1): r = relu(x·W_gᵀ), top-K↓ of r,
 * w = v/(Σv + 1e-6). Tokens with fewer than K positive logits get zero-weight slots
 * (`selected_valid_mask` = 0), which compute nothing. Losses: Switch balance on softmax(l),
 * z-loss on l. (The adaptive λ is commented out in this LibMoE version: no state.)
 */
function createRemoe({ spec, params: pf }: RouterContext): Router {
  const eps = WEIGHT_DENOMINATOR_EPS.read(spec);
  const gate = vlmGate(spec, pf, spec.nExperts);
  return switchRouter(spec, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const r = tf.relu(l);
    const p = tf.softmax(l);
    const { idx, val, v } = pickTopK(r, k);
    const w = renormalise(v, eps);
    const { expertOf, mask } = activeOnly(idx, val);
    return { idx, w, p, zLogits: l, expertOf, internals: { router_logits: l, router_probs: p, relu_scores: r, gate_weights: w, selected_valid_mask: mask } };
  });
}

export const remoe: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE, WEIGHT_DENOMINATOR_EPS], create: createRemoe };
