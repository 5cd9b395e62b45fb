import type { Variable } from '../../tf.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { RouteInput, Routing } from '../routing.js';
import { pickTopK, renormalise } from './common.js';
import { lmOptionSet, lmRegulariser, selectionActivation } from './lm-common.js';
import { XMOE_OPTIONS, xmoeCosine, xmoeOptions } from './xmoe-cosine.js';

const LM_OPTIONS = lmOptionSet(['step', 'time', 'global']);

/**
 * `moe_layer_xmoe` (LibMoE moe_layer_xmoe.py): expert_sel [⌊E/2⌋, D] is the input reduction,
 * expert_embeddings [E, ⌊E/2⌋] are renormalised in place to norm 1.5 each training forward (a copy in eval),
 * c = cos(h, ê), p = softmax(c/0.3), then the selection activation is applied AGAIN
 * (softmax(p) for `gate`, σ(p) for `sigmoid`), top-K, w = v/(Σv + 1e-20).
 * Only the entropy regularisers (step/time/global) exist here, with p used as the logits;
 * LibMoE asserts against `standard`, and so do we.
 */
function createMoeLayerXmoe({ spec, params: pf }: RouterContext): Router {
  const o = LM_OPTIONS.read(spec);
  const cos = xmoeOptions(spec);
  const e = spec.nExperts;
  const sel = pf.normal('expert_sel', [cos.dims, spec.dModel], 1 / Math.sqrt(spec.dModel));
  const emb = pf.orthogonal('expert_embeddings', [e, cos.dims], 0.32); // moe_layer_xmoe.py L94
  return {
    variables: new Map<string, Variable>([['expert_sel', sel], ['expert_embeddings', emb]]),
    route({ x, batch, seqLen, ctx }: RouteInput): Routing {
      const k = spec.topK;
      const { h, l: c, p } = xmoeCosine(x, sel, emb, cos, ctx.training, ctx.routingProbe);
      const s = selectionActivation(p, o.selection);
      const { idx, v } = pickTopK(s, k);
      const w = renormalise(v, 1e-20);
      const { aux, auxTotal } = lmRegulariser(o, s, p, idx, batch, seqLen, k);
      return {
        k, slots: idx, expertOf: idx, combine: w, probs: p, aux, auxTotal,
        internals: { reduced_input: h, router_logits: c, router_probs: p, selection_scores: s, gate_weights: w },
      };
    },
  };
}

export const moeLayerXmoe: RouterDef = { defaultExpert: 'relu-kv', options: [...LM_OPTIONS.options, ...XMOE_OPTIONS], create: createMoeLayerXmoe };
