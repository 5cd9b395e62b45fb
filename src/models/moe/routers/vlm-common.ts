import type { Tensor2D, Variable } from '../../tf.js';
import type { ExpertBank } from '../experts/expert-bank.js';
import { switchBalanceLoss } from '../losses/switch-balance.js';
import { routerZLoss } from '../losses/z-loss.js';
import type { ParamFactory } from '../init.js';
import { numberOption } from '../options.js';
import type { Router } from '../router.js';
import type { Internal, RouteInput, Routing } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { firstPicks, vlmAux } from './common.js';

/** LibMoE's VLM loss coefficients (the SFT scripts' defaults). */
export const BALANCE_LOSS_COEF = numberOption('balance_loss_coef', 0.01, 'c_b, weight of the Switch balance loss in aux_total');
export const ROUTER_Z_LOSS_COEF = numberOption('router_z_loss_coef', 0.001, 'c_z, weight of the router z-loss in aux_total');
export const VLM_LOSS_OPTIONS = [BALANCE_LOSS_COEF, ROUTER_Z_LOSS_COEF] as const;
export const STD_GATE = numberOption('std_gate', 0.02, 'std of the router weight init N(0, std_gate²)');

/** VLM loss coefficients (LibMoE defaults of the SFT scripts: 0.01 / 0.001). */
export function vlmCoefs(spec: MoeLayerSpec): { cb: number; cz: number } {
  return { cb: BALANCE_LOSS_COEF.read(spec), cz: ROUTER_Z_LOSS_COEF.read(spec) };
}

/** LibMoE's VLM router init: N(0, std_gate = 0.02). */
export function vlmGate(spec: MoeLayerSpec, pf: ParamFactory, rows: number, name = 'gate.weight'): Variable {
  const std = STD_GATE.read(spec);
  return pf.normal(name, [rows, spec.dModel], std);
}

/**
 * What a Switch-style VLM router decides per call; `switchRouter` adds LibMoE's VLM loss
 * pair and assembles the Routing.
 */
export interface SwitchDecision {
  /** [N·K] router-space picks, descending. */
  readonly idx: Int32Array;
  /** [N, K] combine weights. */
  readonly w: Tensor2D;
  /** [N, E_r] softmax distribution: the balance loss (first pick per token) and the statistics. */
  readonly p: Tensor2D;
  /** What the z-loss is taken on (the router logits, or Sigmoid-R's σ values). */
  readonly zLogits: Tensor2D;
  /** Bank expert per slot when router indices are not bank indices (MoE++); default `idx`. */
  readonly expertOf?: Int32Array;
  /** Per-column balance factor (MoE++). */
  readonly columnWeights?: Float32Array;
  readonly internals: Record<string, Internal>;
}

/**
 * A VLM router with parameters `params` (LibMoE names) whose `decide` gives the top-`k`
 * routing; losses: Switch balance on p over each token's first pick and z-loss,
 * aux_total = c_b·balance + c_z·z. `specials`: experts the router owns after the bank (MoE++).
 */
export function switchRouter(
  spec: MoeLayerSpec, params: Record<string, Variable>, decide: (input: RouteInput, k: number) => SwitchDecision,
  opts: { specials?: ExpertBank; k?: number } = {},
): Router {
  const { cb, cz } = vlmCoefs(spec);
  const k = opts.k ?? spec.topK;
  return {
    variables: new Map(Object.entries(params)),
    ...(opts.specials ? { specials: opts.specials } : {}),
    route(input: RouteInput): Routing {
      const d = decide(input, k);
      const top1 = firstPicks(d.idx, input.x.shape[0], k);
      const { aux, auxTotal } = vlmAux(switchBalanceLoss(d.p, top1, input.batch, input.seqLen, d.columnWeights), routerZLoss(d.zLogits), cb, cz);
      return { k, slots: d.idx, expertOf: d.expertOf ?? d.idx, combine: d.w, probs: d.p, aux, auxTotal, internals: d.internals };
    },
  };
}
