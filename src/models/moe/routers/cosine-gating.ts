import { tf, type Tensor2D } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';
import { numberOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { pickTopK } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

const THETA = numberOption('theta', 0.1, 'θ added to both norms of the perturbed cosine (smoe_perturbed only)');

/**
 * Cosine-R (`smoe_cosinegating`, paper v1, fixed tuple unpacking) and Perturbed Cosine-R
 * (`smoe_perturbed`): l_e = x·W_e / ((‖x‖+θ)(‖W_e‖+θ)) with θ = 0 for Cosine-R and option
 * `theta` (default 0.1) for the perturbed one; p = softmax(l); selection on q = p + β
 * (gate.bias); w = softmax of the K picked q. Losses on p (top-1 of q) and on l.
 */
function cosineRouter(perturbed: boolean): RouterDef {
  const create = ({ spec, params: pf }: RouterContext): Router => {
    const theta = perturbed ? THETA.read(spec) : 0;
    const gate = vlmGate(spec, pf, spec.nExperts);
    const bias = pf.normal('gate.bias', [spec.nExperts], 0);
    return switchRouter(spec, { 'gate.weight': gate, 'gate.bias': bias }, ({ x }, k) => {
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
  return { defaultExpert: 'gelu-mlp', options: perturbed ? [...VLM_LOSS_OPTIONS, STD_GATE, THETA] : [...VLM_LOSS_OPTIONS, STD_GATE], create };
}

export const smoeCosineGating = cosineRouter(false);
export const smoePerturbed = cosineRouter(true);
