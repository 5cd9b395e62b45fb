import { tf, type Tensor2D } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';
import type { ParamFactory } from '../init.js';
import { numOpt } from '../options.js';
import type { AlgorithmFactory, MoeAlgorithm } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { pickTopK } from './common.js';
import { switchRouter, vlmGate } from './vlm-common.js';

/**
 * Cosine-R (`smoe_cosinegating`, paper v1, fixed tuple unpacking) and Perturbed Cosine-R
 * (`smoe_perturbed`): l_e = x·W_e / ((‖x‖+θ)(‖W_e‖+θ)) with θ = 0 for Cosine-R and option
 * `theta` (default 0.1) for the perturbed one; p = softmax(l); selection on q = p + β
 * (gate.bias); w = softmax of the K picked q. Losses on p (top-1 of q) and on l.
 */
function cosineRouter(perturbed: boolean): AlgorithmFactory {
  return (spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm => {
    const theta = perturbed ? numOpt(spec, 'theta', 0.1) : 0;
    const gate = vlmGate(spec, pf, spec.nExperts);
    const bias = pf.normal('gate.bias', [spec.nExperts], 0);
    return switchRouter(spec, pf, { 'gate.weight': gate, 'gate.bias': bias }, ({ x }, k) => {
      const xNorm = tf.add(tf.sqrt(tf.sum(tf.square(x), 1, true)), theta);
      const wNorm = tf.add(tf.sqrt(tf.sum(tf.square(gate), 1)), theta);
      const l = tf.div(tf.div(matMul2D(x, tf.transpose(gate) as Tensor2D), xNorm), wNorm) as Tensor2D;
      const p = tf.softmax(l);
      const q = tf.add(p, bias) as Tensor2D;
      const { idx, v } = pickTopK(q, k);
      const w = tf.softmax(v);
      return { idx, w, p, zLogits: l, internals: { router_logits: l, router_probs: p, selection_scores: q, gate_weights: w } };
    });
  };
}

export const smoeCosineGating = cosineRouter(false);
export const smoePerturbed = cosineRouter(true);
