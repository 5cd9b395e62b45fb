import { tf, type Scalar, type Variable } from '../../tf.js';
import { tcBalance, tcNullReward } from '../losses/tcmoe-losses.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { RouteInput, Routing } from '../routing.js';
import { linear } from './common.js';
import { lmOptionSet } from './lm-common.js';
import { REWARD_FACTOR, TCMOE_OPTIONS, tcSlots, ternaryRoute } from './tcmoe-common.js';

// The layer computes TC-MoE's balance whatever the mode says (LibMoE's tcmoe configs say 'tcmoe').
const LM_OPTIONS = lmOptionSet(['tcmoe', 'standard']);

/**
 * `moe_layer_tc_moe` (LibMoE moe_layer_tc_moe.py, fixed reductions): ternary slots over the
 * E relu-kv experts, router expert_sel [2E+K, D], softmax selection, w = p_idx/(den + 1e-20)
 * (no clamp, unlike the VLM). aux: null_reward, balance_loss = λ·L, balance_loss_unscaled = L.
 */
function createMoeLayerTcMoe({ spec, params: pf }: RouterContext): Router {
  const o = LM_OPTIONS.read(spec);
  const reward = REWARD_FACTOR.read(spec);
  const sel = pf.normal('expert_sel', [tcSlots(spec), spec.dModel], 1 / Math.sqrt(spec.dModel));
  return {
    variables: new Map<string, Variable>([['expert_sel', sel]]),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const l = linear(x, sel);
      const t = ternaryRoute(spec, l, undefined);
      const unscaled = tcBalance(t.probs, t.idx, spec.nExperts, batch, seqLen, t.k);
      const bal = tf.mul(unscaled, o.lambda) as Scalar;
      const nullReward = tcNullReward(t.probs, spec.nExperts, reward);
      const auxTotal = tf.add(nullReward, bal) as Scalar;
      return {
        k: t.k, slots: t.idx, expertOf: t.expertOf, combine: t.signed, probs: t.probs,
        aux: { null_reward: nullReward, balance_loss: bal, balance_loss_unscaled: unscaled, aux_total: auxTotal }, auxTotal,
        internals: { router_logits: l, biased_logits: t.biased, selection_scores: t.probs, base_experts: t.baseExperts, signs: t.signs, gate_weights: t.w, gate_weights_signed: t.signed },
      };
    },
  };
}

export const moeLayerTcMoe: RouterDef = { defaultExpert: 'relu-kv', options: [...LM_OPTIONS.options, ...TCMOE_OPTIONS], create: createMoeLayerTcMoe };
