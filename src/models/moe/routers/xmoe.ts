import { tf, type Tensor2D, type Variable } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';
import { switchBalanceLoss } from '../losses/switch-balance.js';
import { routerZLoss } from '../losses/z-loss.js';
import type { ParamFactory } from '../init.js';
import { numOpt } from '../options.js';
import type { MoeAlgorithm, RouteInput, Routing } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { firstPicks, l2Normalize, linear, pickTopK, renormaliseRowsInPlace, vlmAux, vlmCoefs } from './common.js';
import { vlmBank } from './vlm-common.js';

/**
 * `xmoe` (X-MoE, LibMoE xmoe.py): h = x·W_rᵀ in ⌊E/2⌋ dimensions; the expert embeddings are
 * renormalised in place to norm 1.5 at every forward; l = ⟨h/max(‖h‖,1e-4), ê⟩ (cosine);
 * p = softmax(l/0.3); top-K↓ of p; w = softmax of the K top probabilities.
 * Losses: Switch balance on p (top-1), z-loss on l (not l/0.3).
 */
export function xmoe(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const { cb, cz } = vlmCoefs(spec);
  const e = spec.nExperts;
  const r = Math.floor(e / 2);
  const temperature = numOpt(spec, 'temperature', 0.3);
  const embNorm = numOpt(spec, 'embedding_norm', 1.5);
  const eps = numOpt(spec, 'cosine_eps', 1e-4);
  const red = pf.uniform('inp_reduction.weight', [r, spec.dModel], 1 / Math.sqrt(spec.dModel));
  const emb = pf.normal('expert_embeddings', [e, r], 0.02);
  return {
    variables: new Map<string, Variable>([['inp_reduction.weight', red], ['expert_embeddings', emb]]),
    bank: vlmBank(spec, pf),
    route({ x, batch, seqLen }: RouteInput): Routing {
      const k = spec.topK;
      renormaliseRowsInPlace(emb, embNorm);
      const h = linear(x, red);
      const l = matMul2D(l2Normalize(h, eps), tf.transpose(emb) as Tensor2D);
      const p = tf.softmax(tf.div(l, temperature) as Tensor2D);
      const { idx, v } = pickTopK(p, k);
      const w = tf.softmax(v);
      const { aux, auxTotal } = vlmAux(switchBalanceLoss(p, firstPicks(idx, x.shape[0], k), batch, seqLen), routerZLoss(l), cb, cz);
      return { k, slots: idx, expertOf: idx, combine: w, probs: p, aux, auxTotal, internals: { reduced_input: h, router_logits: l, router_probs: p, gate_weights: w } };
    },
  };
}
