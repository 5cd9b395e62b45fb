import type { Json } from '../../../base/json.js';
import { tf, type Tensor2D, type Variable } from '../../tf.js';
import { gatherSlots } from '../../kernels/slot-gather.js';
import { numberOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { Internal, RouteInput, Routing } from '../routing.js';
import { hostScores, linear, pickTopK, renormalise } from './common.js';
import { groupLimitedTopK, updateBias } from './group-routing.js';
import { lmOptionSet, lmRegulariser, selectionActivation } from './lm-common.js';

const N_GROUP = numberOption('n_group', 8, 'expert groups for group-limited routing (perplexity_reg_mode deepseek)');
const TOPK_GROUP = numberOption('topk_group', 4, 'groups kept per token in group-limited routing');
const BIAS_SCALE = numberOption('e_score_correction_bias_scale', 0.001, 'step of the aux-free bias update b ← b + step·sign(mean − count)');

/**
 * DeepSeek-style LM layers (LibMoE moe_layer_deepseekv2.py / moe_layer_deepseekv3.py):
 * the common LM router plus one always-on shared expert of width 2s (LibMoE's
 * n_shared_experts = 2 fused: keys_shared [1, D, 2s], values_shared [1, 2s, D]);
 * output = routed + shared (weight 1; routed_scaling_factor is unused in LibMoE).
 *
 * V2 with `perplexity_reg_mode: deepseek` routes group-limited on s + b with the aux-free
 * bias b (`e_score_correction_bias`, state) updated every training call by 0.001·sign(mean − count);
 * the gate weights come from the unbiased s (LibMoE's sequence-axis gather fixed). LibMoE also
 * updates b on evaluation forwards (it does not look at `self.training`), so scoring a model
 * changes it; here only `ctx.training` calls update b, and evaluation changes nothing.
 * V3 uses the standard balance without renormalising s.
 */
function deepseekLayer(version: 2 | 3): RouterDef {
  const lm = lmOptionSet(version === 2 ? ['standard', 'deepseek', 'step', 'time', 'global'] : ['standard', 'step', 'time', 'global']);
  const create = ({ spec, params: pf, sharedExperts }: RouterContext): Router => {
    const o = lm.read(spec);
    const e = spec.nExperts;
    const d = spec.dModel;
    const s2 = 2 * o.expertSize;
    const grouped = o.mode === 'deepseek';
    const nGroup = N_GROUP.read(spec);
    const topkGroup = TOPK_GROUP.read(spec);
    const biasStep = BIAS_SCALE.read(spec);
    if (grouped && (e % nGroup !== 0 || topkGroup > nGroup || topkGroup * (e / nGroup) < spec.topK)) {
      throw new Error(`${spec.algorithm}: group routing needs E (${e}) divisible by n_group (${nGroup}) and topk_group·E/n_group ≥ K`);
    }
    let bias: Float32Array = new Float32Array(e);
    const sel = pf.normal('expert_sel', [e, d], 1 / Math.sqrt(d));
    // LibMoE's two shared experts fused into one always-on expert of width 2s, of the layer's kind.
    const shared = sharedExperts(1, s2);
    return {
      variables: new Map<string, Variable>([['expert_sel', sel], ...shared.variables]),
      route({ x, batch, seqLen, ctx }: RouteInput): Routing {
        const k = spec.topK;
        const n = x.shape[0];
        const l = linear(x, sel);
        const s = selectionActivation(l, o.selection);
        const internals: Record<string, Internal> = { router_logits: l, selection_scores: s };
        let idx: Int32Array;
        let v: Tensor2D;
        if (grouped) {
          const g = groupLimitedTopK(hostScores(s), bias, n, e, k, nGroup, topkGroup);
          idx = g.idx;
          v = gatherSlots(s, idx, k);
          internals['group_scores'] = g.groupScores;
          internals['group_mask'] = g.groupMask;
          const upd = updateBias(bias, idx, e, biasStep);
          if (ctx.training && !ctx.routingProbe) bias = upd.bias;
          internals['expert_counts'] = upd.counts;
        } else {
          ({ idx, v } = pickTopK(s, k));
        }
        const w = renormalise(v, 1e-20);
        internals['gate_weights'] = w;
        const { aux, auxTotal } = lmRegulariser(o, s, l, idx, batch, seqLen, k, version === 2);
        return { k, slots: idx, expertOf: idx, combine: w, probs: tf.softmax(l), aux, auxTotal, internals };
      },
      finish(routed: Tensor2D, { x }: RouteInput, internals: Record<string, Internal>): Tensor2D {
        const out = shared.run(0, x);
        internals['routed_output'] = routed;
        internals['shared_output'] = out;
        return tf.add(routed, out) as Tensor2D;
      },
      state(): Json {
        return grouped ? { e_score_correction_bias: Array.from(bias) } : {};
      },
      setState(st: Json): void {
        if (!grouped) return;
        const b = (st as { e_score_correction_bias?: unknown }).e_score_correction_bias;
        if (!Array.isArray(b) || b.length !== e || !b.every((z) => typeof z === 'number')) {
          throw new Error(`${spec.algorithm}: state.e_score_correction_bias must be ${e} numbers`);
        }
        bias = Float32Array.from(b as number[]);
      },
    };
  };
  // The group options only matter in deepseek mode, which V3 lacks.
  return { defaultExpert: 'relu-kv', options: version === 2 ? [...lm.options, N_GROUP, TOPK_GROUP, BIAS_SCALE] : lm.options, create };
}

export const moeLayerDeepseekV2 = deepseekLayer(2);
export const moeLayerDeepseekV3 = deepseekLayer(3);
