import { tf } from '../../tf.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { pickTopK } from './common.js';
import { switchRouter, VLM_LOSS_OPTIONS } from './vlm-common.js';
import { XMOE_OPTIONS, xmoeCosine, xmoeOptions } from './xmoe-cosine.js';

/**
 * `xmoe` (X-MoE, LibMoE xmoe.py): h = x·W_rᵀ in ⌊E/2⌋ dimensions; the expert embeddings are
 * renormalised in place to norm 1.5 at every training forward (a copy in eval); l = ⟨h/max(‖h‖,1e-4), ê⟩ (cosine);
 * p = softmax(l/0.3); top-K↓ of p; w = softmax of the K top probabilities.
 * Losses: Switch balance on p (top-1), z-loss on l (not l/0.3).
 */
function createXmoe({ spec, params: pf }: RouterContext): Router {
  const o = xmoeOptions(spec);
  const red = pf.uniform('inp_reduction.weight', [o.dims, spec.dModel], 1 / Math.sqrt(spec.dModel));
  const emb = pf.normal('expert_embeddings', [spec.nExperts, o.dims], 0.02);
  return switchRouter(spec, { 'inp_reduction.weight': red, expert_embeddings: emb }, ({ x, ctx }, k) => {
    const { h, l, p } = xmoeCosine(x, red, emb, o, ctx.training, ctx.routingProbe);
    const { idx, v } = pickTopK(p, k);
    const w = tf.softmax(v);
    return { idx, w, p, zLogits: l, internals: { reduced_input: h, router_logits: l, router_probs: p, gate_weights: w } };
  });
}

export const xmoe: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, ...XMOE_OPTIONS], create: createXmoe };
