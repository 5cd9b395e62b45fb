import { tf } from '../../tf.js';
import type { ParamFactory } from '../init.js';
import type { MoeAlgorithm } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate } from './vlm-common.js';

/**
 * `smoe_sigmoidgating` (σ-MoE, LibMoE main): l = x·W_gᵀ, selection on s = σ(l), w = v/Σv
 * (the K sigmoid scores renormalised). softmax(l) enters only the balance loss (top-1).
 */
export function smoeSigmoidGating(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const gate = vlmGate(spec, pf, spec.nExperts);
  return switchRouter(spec, pf, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const s = tf.sigmoid(l);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(s, k);
    const w = renormalise(v, 0);
    return { idx, w, p, zLogits: l, internals: { router_logits: l, router_probs: p, selection_scores: s, gate_weights: w } };
  });
}
