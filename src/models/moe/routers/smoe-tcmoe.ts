import { tf, type Scalar, type Variable } from '../../tf.js';
import { tcBalance, tcNullReward } from '../losses/tcmoe-losses.js';
import { routerZLoss } from '../losses/z-loss.js';
import { numberOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { RouteInput, Routing } from '../routing.js';
import { linear } from './common.js';
import { REWARD_FACTOR, TCMOE_OPTIONS, tcSlots, ternaryRoute } from './tcmoe-common.js';
import { vlmCoefs, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

const WEIGHT_DENOMINATOR_MIN = numberOption('weight_denominator_min', 1e-6, 'lower clamp of the gate-weight denominator');

/**
 * `smoe_tcmoe` (TC-MoE, LibMoE moe_tcmoe.py, fixed): ternary slots over E FFN experts,
 * w_k = p_idx / max(Σ_selected-real p + Σ_null p + 1e-20, 1e-6), output Σ_k sign·w·FFN (all K
 * slots accumulate, so +e and −e of one token both count: LibMoE's overwrite bug fixed).
 * aux: balance_loss (already × c_b, as LibMoE reports it), balance_loss_unscaled, null_reward,
 * router_z_loss on the unbiased logits.
 */
function createSmoeTcMoe({ spec, params: pf }: RouterContext): Router {
  const { cb, cz } = vlmCoefs(spec);
  const reward = REWARD_FACTOR.read(spec);
  const minDen = WEIGHT_DENOMINATOR_MIN.read(spec);
  const gate = vlmGate(spec, pf, tcSlots(spec));
  return {
    variables: new Map<string, Variable>([['gate.weight', gate]]),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const l = linear(x, gate);
      const t = ternaryRoute(spec, l, minDen);
      const unscaled = tcBalance(t.probs, t.idx, spec.nExperts, batch, seqLen, t.k);
      const bal = tf.mul(unscaled, cb) as Scalar;
      const nullReward = tcNullReward(t.probs, spec.nExperts, reward);
      const z = routerZLoss(l);
      const auxTotal = tf.add(tf.add(bal, nullReward), tf.mul(z, cz)) as Scalar;
      return {
        k: t.k, slots: t.idx, expertOf: t.expertOf, combine: t.signed, probs: t.probs,
        aux: { balance_loss: bal, balance_loss_unscaled: unscaled, null_reward: nullReward, router_z_loss: z, aux_total: auxTotal }, auxTotal,
        internals: { router_logits: l, biased_logits: t.biased, router_probs: t.probs, gate_weights: t.w, signs: t.signs, signed_gate_weights: t.signed },
      };
    },
  };
}

export const smoeTcMoe: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE, ...TCMOE_OPTIONS, WEIGHT_DENOMINATOR_MIN], create: createSmoeTcMoe };
