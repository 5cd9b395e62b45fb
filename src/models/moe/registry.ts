import { ParamFactory } from './init.js';
import { ComposedMoeLayer } from './layer.js';
import type { AlgorithmFactory } from './routing.js';
import type { MoeLayer, MoeLayerSpec } from './types.js';
import { moeLayer } from './routers/moe-layer.js';
import { smoe } from './routers/smoe.js';
import { hyperrouter } from './routers/hyperrouter.js';

/**
 * Every MoE algorithm by LibMoE's registry name (VLM `@register_moe` names, LM `MOE_TYPE`
 * module names). docs/routers.md lists options and losses per name.
 */
const REGISTRY = new Map<string, AlgorithmFactory>([
  ['moe_layer', moeLayer],
  ['smoe', smoe],
  ['hyperrouter', hyperrouter],
]);

export function registerMoeAlgorithm(name: string, factory: AlgorithmFactory): void {
  if (REGISTRY.has(name)) throw new Error(`MoE algorithm ${name} is already registered`);
  REGISTRY.set(name, factory);
}

export function moeAlgorithms(): string[] {
  return [...REGISTRY.keys()].sort();
}

export function createMoeLayer(spec: MoeLayerSpec): MoeLayer {
  const factory = REGISTRY.get(spec.algorithm);
  if (!factory) throw new Error(`unknown MoE algorithm '${spec.algorithm}'; known: ${moeAlgorithms().join(', ')}`);
  return new ComposedMoeLayer(spec, factory(spec, new ParamFactory(spec.seed, spec.name ?? '')));
}
