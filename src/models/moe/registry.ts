import { ParamFactory } from './init.js';
import { ComposedMoeLayer } from './composed-layer.js';
import type { AlgorithmFactory } from './routing.js';
import type { MoeLayer, MoeLayerSpec } from './types.js';
import { moeLayer } from './routers/moe-layer.js';
import { smoe } from './routers/smoe.js';
import { hyperrouter } from './routers/hyperrouter.js';
import { smoeSigmoidGating } from './routers/smoe-sigmoidgating.js';
import { xmoe } from './routers/xmoe.js';
import { smoeShare, smoeShareV3 } from './routers/smoe-share.js';
import { smoeTcMoe } from './routers/smoe-tcmoe.js';
import { smoePlusPlus } from './routers/smoe-plus-plus.js';
import { smoeCosineGating, smoePerturbed } from './routers/cosine-gating.js';
import { sigmoidR } from './routers/sigmoid-r.js';
import { remoe } from './routers/remoe.js';
import { moeLayerXmoe } from './routers/moe-layer-xmoe.js';
import { moeLayerDeepseekV2, moeLayerDeepseekV3 } from './routers/deepseek.js';
import { moeLayerTcMoe } from './routers/moe-layer-tc-moe.js';
import { moeLayerRemoe } from './routers/moe-layer-remoe.js';

/**
 * Every MoE algorithm by LibMoE's registry name (VLM `@register_moe` names, LM `MOE_TYPE`
 * module names). docs/routers.md lists options and losses per name.
 */
const REGISTRY = new Map<string, AlgorithmFactory>([
  // VLM (LibMoE vision_language_model, @register_moe names)
  ['smoe', smoe],
  ['smoe_sigmoidgating', smoeSigmoidGating],
  ['xmoe', xmoe],
  ['smoe_share', smoeShare],
  ['smoe_sharev3', smoeShareV3],
  ['smoe_tcmoe', smoeTcMoe],
  ['smoe_plus_plus', smoePlusPlus],
  // VLM, paper v1.1 routers (Sigmoid-R renamed: main reuses its name for σ-MoE)
  ['smoe_cosinegating', smoeCosineGating],
  ['smoe_perturbed', smoePerturbed],
  ['smoe_sigmoidgating_v1', sigmoidR],
  ['hyperrouter', hyperrouter],
  ['remoe', remoe],
  // LM (LibMoE language_modeling, MOE_TYPE module names)
  ['moe_layer', moeLayer],
  ['moe_layer_xmoe', moeLayerXmoe],
  ['moe_layer_deepseekv2', moeLayerDeepseekV2],
  ['moe_layer_deepseekv3', moeLayerDeepseekV3],
  ['moe_layer_tc_moe', moeLayerTcMoe],
  ['moe_layer_remoe', moeLayerRemoe],
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
