import { tf, type Variable } from '../../tf.js';
import { switchBalanceLoss } from '../losses/switch-balance.js';
import { routerZLoss } from '../losses/z-loss.js';
import type { ParamFactory } from '../init.js';
import type { MoeAlgorithm, RouteInput, Routing } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { firstPicks, linear, pickTopK, renormalise, vlmAux, vlmCoefs } from './common.js';
import { vlmBank, vlmGate } from './vlm-common.js';

/**
 * `smoe_sigmoidgating` (σ-MoE, LibMoE main): l = x·W_gᵀ, selection on s = σ(l), w = v/Σv
 * (the K sigmoid scores renormalised). softmax(l) enters only the balance loss (top-1).
 */
export function smoeSigmoidGating(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const { cb, cz } = vlmCoefs(spec);
  const gate = vlmGate(spec, pf, spec.nExperts);
  return {
    variables: new Map<string, Variable>([['gate.weight', gate]]),
    bank: vlmBank(spec, pf),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const k = spec.topK;
      const l = linear(x, gate);
      const s = tf.sigmoid(l);
      const p = tf.softmax(l);
      const { idx, v } = pickTopK(s, k);
      const w = renormalise(v, 0);
      const { aux, auxTotal } = vlmAux(switchBalanceLoss(p, firstPicks(idx, x.shape[0], k), batch, seqLen), routerZLoss(l), cb, cz);
      return { k, slots: idx, expertOf: idx, combine: w, probs: p, aux, auxTotal, internals: { router_logits: l, router_probs: p, selection_scores: s, gate_weights: w } };
    },
  };
}
