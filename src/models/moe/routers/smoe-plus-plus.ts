import { tf } from '../../tf.js';
import { constantExpertBank } from '../experts/constant-expert.js';
import { copyExpertBank } from '../experts/copy-expert.js';
import { joinBanks } from '../experts/expert-bank.js';
import type { ParamFactory } from '../init.js';
import { numOpt } from '../options.js';
import type { MoeAlgorithm } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmBank, vlmGate } from './vlm-common.js';

/**
 * `smoe_plus_plus` (MoE++, LibMoE moe_plus_plus.py): E FFN experts plus a zero expert (router
 * index E, computes nothing) and a constant expert (last index). Router over E' = E+2,
 * softmax, top-K↓, renormalised. Balance: E'²·mean(t_e·P·f) with LibMoE's hard-coded
 * t_4 = 1.3 (`balance_column_4_weight`; the zero expert only when E = 4).
 * Option `n_copy_experts` (default 0, as LibMoE ships) inserts identity experts between the
 * zero and the constant expert.
 */
export function smoePlusPlus(spec: MoeLayerSpec, pf: ParamFactory): MoeAlgorithm {
  const e = spec.nExperts;
  const nCopy = numOpt(spec, 'n_copy_experts', 0);
  const width = e + 2 + nCopy;
  const gate = vlmGate(spec, pf, width);
  // Bank: FFNs 0..E−1, copies E..E+nCopy−1, constant E+nCopy. Router: zero expert at E.
  const bank = joinBanks(vlmBank(spec, pf), copyExpertBank(nCopy), constantExpertBank(pf, width - 1, spec.dModel));
  const columnWeights = new Float32Array(width).fill(1);
  if (width > 4) columnWeights[4] = numOpt(spec, 'balance_column_4_weight', 1.3);
  return switchRouter(spec, pf, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(p, k);
    const w = renormalise(v, 0);
    // Router index E is the zero expert (no bank entry); later indices shift down by one.
    const expertOf = Int32Array.from(idx, (j) => (j < e ? j : j === e ? -1 : j - 1));
    return { idx, w, p, zLogits: l, expertOf, columnWeights, internals: { router_logits: l, router_probs: p, gate_weights: w, balance_column_weights: columnWeights } };
  }, { bank });
}
