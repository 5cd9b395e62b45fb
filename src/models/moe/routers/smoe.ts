import { tf } from '../../tf.js';
import type { ParamFactory } from '../init.js';
import type { MoeAlgorithm } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate } from './vlm-common.js';

/**
 * `smoe` (SMoE-R, LibMoE smoe.py): l = x·W_gᵀ, p = softmax(l), top-K↓ of p, w = v/Σv.
 * Losses: Switch balance on the first pick and router z-loss.
 */
export function smoe(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const gate = vlmGate(spec, pf, spec.nExperts);
  return switchRouter(spec, pf, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(p, k);
    const w = renormalise(v, 0);
    return { idx, w, p, zLogits: l, internals: { router_logits: l, router_probs: p, gate_weights: w } };
  });
}
