import { tf, type Tensor2D } from '../../tf.js';
import type { ExpertBank } from '../experts/expert-bank.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { Internal, RouteInput } from '../routing.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

/**
 * SharedE variants (LibMoE shard_smoe.py `smoe_share`, shard_smoe_v3.py `smoe_sharev3`):
 * E counts the shared expert. experts.0..E−2 are routed by gate.weight [E−1, D] with top-(K−1),
 * experts.{E−1} is always on, and output = 0.5·shared + 0.5·routed. V2 selects on softmax(l),
 * V3 on σ(l); both renormalise the picked scores, and the balance loss uses softmax(l) over
 * the E−1 routed experts. (V3's routed_scaling_factor is unused in LibMoE.)
 */
function sharedExpertLayer(selection: 'softmax' | 'sigmoid'): RouterDef {
  const create = ({ spec, params: pf }: RouterContext): Router => {
    const er = spec.nExperts - 1;
    if (er < 1 || spec.topK < 2) throw new Error(`${spec.algorithm}: needs E ≥ 2 and K ≥ 2 (E and K count the shared expert)`);
    const gate = vlmGate(spec, pf, er);
    const routed = switchRouter(spec, { 'gate.weight': gate }, ({ x }, k) => {
      const l = linear(x, gate);
      const p = tf.softmax(l);
      const s = selection === 'softmax' ? p : tf.sigmoid(l);
      const { idx, v } = pickTopK(s, k);
      const w = renormalise(v, 0);
      const internals: Record<string, Internal> = { router_logits: l, router_probs: p, gate_weights: w };
      if (selection === 'sigmoid') internals['selection_scores'] = s;
      return { idx, w, p, zLogits: l, internals };
    }, { k: spec.topK - 1 });
    return {
      ...routed,
      // The layer's bank holds E experts: the router sends tokens to 0..E−2, the last is always on.
      finish(out: Tensor2D, { x }: RouteInput, internals: Record<string, Internal>, bank: ExpertBank): Tensor2D {
        const shared = bank.run(er, x);
        internals['routed_output'] = out;
        internals['shared_expert_output'] = shared;
        return tf.add(tf.mul(shared, 0.5), tf.mul(out, 0.5)) as Tensor2D;
      },
    };
  };
  return { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE], create };
}

export const smoeShare = sharedExpertLayer('softmax');
export const smoeShareV3 = sharedExpertLayer('sigmoid');
