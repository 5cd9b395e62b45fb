import type { Variable } from '../../tf.js';
import { geluMlpBank } from '../experts/gelu-mlp.js';
import type { ExpertBank } from '../experts/expert-bank.js';
import type { ParamFactory } from '../init.js';
import type { MoeLayerSpec } from '../types.js';

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
