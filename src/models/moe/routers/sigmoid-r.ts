import { tf, type Variable } from '../../tf.js';
import { switchBalanceLoss } from '../losses/switch-balance.js';
import { routerZLoss } from '../losses/z-loss.js';
import type { ParamFactory } from '../init.js';
import type { MoeAlgorithm, RouteInput, Routing } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { firstPicks, linear, pickTopK, renormalise, vlmAux, vlmCoefs } from './common.js';
import { vlmBank, vlmGate } from './vlm-common.js';

/**
 * Sigmoid-R (`smoe_sigmoidgating` of LibMoE v1.1; registered here as `smoe_sigmoidgating_v1`
 * because main reuses the name for σ-MoE): z = x·Wᵀ + b, l = σ(z) (LibMoE's gate_logits),
 * p = softmax(l), top-K↓ of p, w = v/Σv. The z-loss is taken on the sigmoid values l.
 */
export function sigmoidR(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const { cb, cz } = vlmCoefs(spec);
  const gate = vlmGate(spec, pf, spec.nExperts);
  const bias = pf.normal('gate.bias', [spec.nExperts], 0);
  return {
    variables: new Map<string, Variable>([['gate.weight', gate], ['gate.bias', bias]]),
    bank: vlmBank(spec, pf),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const k = spec.topK;
      const z = linear(x, gate, bias);
      const l = tf.sigmoid(z);
      const p = tf.softmax(l);
      const { idx, v } = pickTopK(p, k);
      const w = renormalise(v, 0);
      const { aux, auxTotal } = vlmAux(switchBalanceLoss(p, firstPicks(idx, x.shape[0], k), batch, seqLen), routerZLoss(l), cb, cz);
      return { k, slots: idx, expertOf: idx, combine: w, probs: p, aux, auxTotal, internals: { pre_sigmoid_logits: z, router_logits: l, router_probs: p, gate_weights: w } };
    },
  };
}
