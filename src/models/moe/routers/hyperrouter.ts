import { tf, type Tensor1D, type Tensor2D, type Variable } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';
import { pyRound } from '../host-topk.js';
import { numberOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import type { RouteInput, Routing } from '../routing.js';
import { linear, pickTopK } from './common.js';

const TOPK_MIN = numberOption('topk_min', 1, 'K at step 0 of the training-time schedule');
const TOPK_MAX = numberOption('topk_max', 2, 'K at the last step of the training-time schedule');

/**
 * Hyper-R's training-time K: round((max − min)·step/total) + min with Python's
 * round-half-to-even (JavaScript's Math.round would round 0.5 up).
 */
export function hyperDynamicK(topkMin: number, topkMax: number, step: number, totalSteps: number): number {
  return pyRound(((topkMax - topkMin) * step) / totalSteps) + topkMin;
}

/**
 * `hyperrouter` (Hyper-R, LibMoE v1.1): a hypernetwork maps a learned embedding u [1, D] to
 * the router: g = W₂·relu(W₁u + b₁) + b₂, reshaped [E, D+1] into W_g and b_g.
 * l = x·W_gᵀ + b_g, top-K_t↓ of l with the dynamic K in training (spec.topK in eval),
 * w = softmax of the top logits. No auxiliary loss. (LibMoE freezes hypernet.*; freezing is
 * the trainer's business: gradients are computed for all of them.)
 */
function createHyperrouter({ spec, params: pf }: RouterContext): Router {
  const d = spec.dModel;
  const e = spec.nExperts;
  const hid = Math.floor(d / 4);
  const kMin = TOPK_MIN.read(spec);
  const kMax = TOPK_MAX.read(spec);
  const u = pf.normal('hyper_embedding', [1, d], 1);
  const w1 = pf.uniform('hypernet.0.weight', [hid, d], 1 / Math.sqrt(d));
  const b1 = pf.uniform('hypernet.0.bias', [hid], 1 / Math.sqrt(d));
  const w2 = pf.uniform('hypernet.2.weight', [e * (d + 1), hid], 1 / Math.sqrt(hid));
  const b2 = pf.uniform('hypernet.2.bias', [e * (d + 1)], 1 / Math.sqrt(hid));
  return {
    variables: new Map<string, Variable>([['hyper_embedding', u], ['hypernet.0.weight', w1], ['hypernet.0.bias', b1], ['hypernet.2.weight', w2], ['hypernet.2.bias', b2]]),
    route({ x, ctx }: RouteInput): Routing {
      const k = ctx.training ? Math.min(e, Math.max(1, hyperDynamicK(kMin, kMax, ctx.step, ctx.totalSteps))) : spec.topK;
      const g = tf.reshape(linear(tf.relu(linear(u as unknown as Tensor2D, w1, b1)), w2, b2), [e * (d + 1)]) as Tensor1D;
      const gm = tf.reshape(g, [e, d + 1]) as Tensor2D;
      const wg = tf.slice(gm, [0, 0], [e, d]) as Tensor2D;
      const bg = tf.reshape(tf.slice(gm, [0, d], [e, 1]), [e]) as Tensor1D;
      const l = tf.add(matMul2D(x, tf.transpose(wg) as Tensor2D), bg) as Tensor2D;
      const { idx, v } = pickTopK(l, k);
      const w = tf.softmax(v);
      const zero = tf.scalar(0);
      return {
        k, slots: idx, expertOf: idx, combine: w, probs: tf.softmax(l), aux: { aux_total: zero }, auxTotal: zero,
        internals: { hypernet_output: g, generated_gate_weight: wg, generated_gate_bias: bg, dynamic_k: k, router_logits: l, gate_weights: w },
      };
    },
  };
}

export const hyperrouter: RouterDef = { defaultExpert: 'gelu-mlp', options: [TOPK_MIN, TOPK_MAX], create: createHyperrouter };
