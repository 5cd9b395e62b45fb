import type { Tensor2D, Variable } from '../../tf.js';
import { geluMlpBank } from '../experts/gelu-mlp.js';
import type { ExpertBank } from '../experts/expert-bank.js';
import { switchBalanceLoss } from '../losses/switch-balance.js';
import { routerZLoss } from '../losses/z-loss.js';
import type { ParamFactory } from '../init.js';
import type { Internal, MoeAlgorithm, RouteInput, Routing } from '../routing.js';
import type { MoeLayerSpec } from '../types.js';
import { firstPicks, vlmAux, vlmCoefs } from './common.js';

/** VLM experts: `count` exact-GELU FFNs of hidden width spec.expert.hidden. */
export function vlmBank(spec: MoeLayerSpec, pf: ParamFactory, count = spec.nExperts): ExpertBank & { weights: ReturnType<typeof geluMlpBank>['weights'] } {
  if (spec.expert.kind !== 'gelu-mlp') throw new Error(`${spec.algorithm}: VLM layers use 'gelu-mlp' experts, got '${spec.expert.kind}'`);
  return geluMlpBank(pf, count, spec.dModel, spec.expert.hidden);
}

/** LibMoE's VLM router init: N(0, std_gate = 0.02). */
export function vlmGate(spec: MoeLayerSpec, pf: ParamFactory, rows: number, name = 'gate.weight'): Variable {
  const std = typeof spec.options?.['std_gate'] === 'number' ? spec.options['std_gate'] : 0.02;
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
 * A VLM algorithm with router parameters `params` (LibMoE names) whose `decide` gives the
 * top-`k` routing; losses: Switch balance on p over each token's first pick and z-loss,
 * aux_total = c_b·balance + c_z·z. `bank` defaults to E exact-GELU FFNs.
 */
export function switchRouter(
  spec: MoeLayerSpec, pf: ParamFactory, params: Record<string, Variable>, decide: (input: RouteInput, k: number) => SwitchDecision,
  opts: { bank?: ExpertBank; k?: number } = {},
): MoeAlgorithm & { bank: ExpertBank } {
  const { cb, cz } = vlmCoefs(spec);
  const k = opts.k ?? spec.topK;
  return {
    variables: new Map(Object.entries(params)),
    bank: opts.bank ?? vlmBank(spec, pf),
    route(input: RouteInput): Routing {
      const d = decide(input, k);
      const top1 = firstPicks(d.idx, input.x.shape[0], k);
      const { aux, auxTotal } = vlmAux(switchBalanceLoss(d.p, top1, input.batch, input.seqLen, d.columnWeights), routerZLoss(d.zLogits), cb, cz);
      return { k, slots: d.idx, expertOf: d.expertOf ?? d.idx, combine: d.w, probs: d.p, aux, auxTotal, internals: d.internals };
    },
  };
}
