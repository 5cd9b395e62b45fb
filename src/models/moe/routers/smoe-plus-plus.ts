import { tf } from '../../tf.js';
import { constantExpertBank } from './special-experts/constant-expert.js';
import { copyExpertBank } from './special-experts/copy-expert.js';
import { joinBanks } from '../experts/expert-bank.js';
import { numberOption } from '../options.js';
import type { Router, RouterContext, RouterDef } from '../router.js';
import { linear, pickTopK, renormalise } from './common.js';
import { switchRouter, vlmGate, STD_GATE, VLM_LOSS_OPTIONS } from './vlm-common.js';

const N_COPY_EXPERTS = numberOption('n_copy_experts', 0, 'identity experts between the zero and the constant expert (LibMoE ships none)');
const BALANCE_COLUMN_4_WEIGHT = numberOption('balance_column_4_weight', 1.3, "LibMoE's hard-coded balance weight t_4 of router column 4");

/**
 * `smoe_plus_plus` (MoE++, LibMoE moe_plus_plus.py): E FFN experts plus a zero expert (router
 * index E, computes nothing) and a constant expert (last index). Router over E' = E+2,
 * softmax, top-K↓, renormalised. Balance: E'²·mean(t_e·P·f) with LibMoE's hard-coded
 * t_4 = 1.3 (`balance_column_4_weight`; the zero expert only when E = 4).
 * Option `n_copy_experts` (default 0, as LibMoE ships) inserts identity experts between the
 * zero and the constant expert.
 */
function createSmoePlusPlus({ spec, params: pf }: RouterContext): Router {
  const e = spec.nExperts;
  const nCopy = N_COPY_EXPERTS.read(spec);
  if (!Number.isInteger(nCopy) || nCopy < 0) throw new Error(`${spec.algorithm}: option n_copy_experts must be a non-negative integer, got ${nCopy}`);
  const width = e + 2 + nCopy;
  const gate = vlmGate(spec, pf, width);
  // The layer's bank holds the E FFNs (0..E−1); the router's specials follow: copies
  // E..E+nCopy−1, constant E+nCopy. Router index E is the zero expert (no bank entry).
  const specials = joinBanks(copyExpertBank(nCopy), constantExpertBank(pf, width - 1, spec.dModel));
  const columnWeights = new Float32Array(width).fill(1);
  if (width > 4) columnWeights[4] = BALANCE_COLUMN_4_WEIGHT.read(spec);
  return switchRouter(spec, { 'gate.weight': gate }, ({ x }, k) => {
    const l = linear(x, gate);
    const p = tf.softmax(l);
    const { idx, v } = pickTopK(p, k);
    const w = renormalise(v, 0);
    // Router index E is the zero expert (no bank entry); later indices shift down by one.
    const expertOf = Int32Array.from(idx, (j) => (j < e ? j : j === e ? -1 : j - 1));
    return { idx, w, p, zLogits: l, expertOf, columnWeights, internals: { router_logits: l, router_probs: p, gate_weights: w, balance_column_weights: columnWeights } };
  }, { specials });
}

export const smoePlusPlus: RouterDef = { defaultExpert: 'gelu-mlp', options: [...VLM_LOSS_OPTIONS, STD_GATE, N_COPY_EXPERTS, BALANCE_COLUMN_4_WEIGHT], create: createSmoePlusPlus };
