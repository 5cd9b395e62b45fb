import { tf, type Variable } from '../../tf.js';
import { switchBalanceLoss } from '../losses/switch-balance.js';
import { routerZLoss } from '../losses/z-loss.js';
import type { ParamFactory } from '../init.js';
import { numOpt } from '../options.js';
import type { MoeAlgorithm, RouteInput, Routing } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { activeOnly, firstPicks, linear, pickTopK, renormalise, vlmAux, vlmCoefs } from './common.js';
import { vlmBank, vlmGate } from './vlm-common.js';

/**
 * `remoe` (ReMoE, VLM variant of LibMoE b5d10f1): r = relu(x·W_gᵀ), top-K↓ of r,
 * w = v/(Σv + 1e-6). Tokens with fewer than K positive logits get zero-weight slots
 * (`selected_valid_mask` = 0), which compute nothing. Losses: Switch balance on softmax(l),
 * z-loss on l. (The adaptive λ is commented out in this LibMoE version: no state.)
 */
export function remoe(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const { cb, cz } = vlmCoefs(spec);
  const eps = numOpt(spec, 'weight_denominator_eps', 1e-6);
  const gate = vlmGate(spec, pf, spec.nExperts);
  return {
    variables: new Map<string, Variable>([['gate.weight', gate]]),
    bank: vlmBank(spec, pf),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const k = spec.topK;
      const l = linear(x, gate);
      const r = tf.relu(l);
      const p = tf.softmax(l);
      const { idx, val, v } = pickTopK(r, k);
      const w = renormalise(v, eps);
      const { expertOf, mask } = activeOnly(idx, val);
      const { aux, auxTotal } = vlmAux(switchBalanceLoss(p, firstPicks(idx, x.shape[0], k), batch, seqLen), routerZLoss(l), cb, cz);
      return { k, slots: idx, expertOf, combine: w, probs: p, aux, auxTotal, internals: { router_logits: l, router_probs: p, relu_scores: r, gate_weights: w, selected_valid_mask: mask } };
    },
  };
}
