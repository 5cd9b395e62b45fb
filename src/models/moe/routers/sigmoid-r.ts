import { tf } from '../../tf.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

/**
 * Sigmoid-R (`smoe_sigmoidgating` of LibMoE v1.1; registered here as `smoe_sigmoidgating_v1`
 * because main reuses the name for σ-MoE): z = x·Wᵀ + b, l = σ(z) (LibMoE's gate_logits),
 * p = softmax(l), top-K↓ of p, w = v/Σv. The z-loss is taken on the sigmoid values l.
 */
function createSigmoidR({ spec, params: pf }: RouterContext): Router {
  const gate = vlmGate(spec, pf, spec.nExperts);
  const bias = pf.normal('gate.bias', [spec.nExperts], 0);
  return switchRouter(spec, { 'gate.weight': gate, 'gate.bias': bias }, ({ x }, k) => {
    const z = linear(x, gate, bias);
    const l = tf.sigmoid(z);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(p, k);
    const w = renormalise(v, 0);
    return { idx, w, p, zLogits: l, internals: { pre_sigmoid_logits: z, router_logits: l, router_probs: p, gate_weights: w } };
  });
}

export const sigmoidR: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE], create: createSigmoidR };
