/**
 * Parameter counts of VLM components from their configs, without allocating the weights
 * (LibMoE's real towers and projectors hold hundreds of millions): the dense tower from its
 * state_dict shapes, the dense projector in closed form, and an MoE layer from two small
 * instances. An MoE layer's count is affine in its experts' hidden width H (router + E experts,
 * each two Linears through H), so it is read off instances of width 1 and 2 and extended to H:
 * exact for every router of the registry, whatever its own parameters.
 */
import { createMoeLayer } from '../../moe/registry.js';
import type { MoeLayerSpec } from '../../moe/types.js';
import { projectorInWidth, type ProjectorDims } from '../projector/dims.js';
import { denseParamShapes } from '../tower/tower-params.js';
import type { VisionTowerConfig } from '../tower/tower-config.js';
import type { ProjectorConfig } from './vlm-config.js';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Parameters of one MoE layer of `spec` (gelu-mlp experts), counted on two tiny-width instances. */
export function moeLayerParamCount(spec: MoeLayerSpec): number {
  const expert = spec.expert;
  if (expert.kind !== 'gelu-mlp') throw new Error(`moeLayerParamCount: gelu-mlp experts only, got ${expert.kind}`);
  const at = (hidden: number): number => {
    const layer = createMoeLayer({ ...spec, expert: { ...expert, hidden } });
    try {
      let n = 0;
      for (const v of layer.variables.values()) n += v.size;
      return n;
    } finally {
      layer.dispose();
    }
  };
  const c1 = at(1);
  return c1 + (at(2) - c1) * (expert.hidden - 1);
}

/** The tower's parameters: its dense shapes plus, with `cfg.moe`, one MoE layer per encoder layer. */
export function towerParamCount(cfg: VisionTowerConfig): number {
  let n = 0;
  for (const shape of denseParamShapes(cfg).values()) n += size(shape);
  if (!cfg.moe) return n;
  const perLayer = moeLayerParamCount({
    algorithm: cfg.moe.algorithm, dModel: cfg.hidden, nExperts: cfg.moe.nExperts, topK: cfg.moe.topK,
    expert: { kind: 'gelu-mlp', hidden: cfg.intermediate, activation: cfg.activation, names: 'fc' },
    ...(cfg.moe.options ? { options: cfg.moe.options } : {}), seed: 0,
  });
  return n + cfg.layers * perLayer;
}

/** The projector's parameters: mlp2x_gelu is Linear(in, llm) + Linear(llm, llm) with biases; an MoE projector has E of them and a router. */
export function projectorParamCount(cfg: ProjectorConfig, dims: ProjectorDims): number {
  const din = projectorInWidth(dims);
  const h = dims.llmHidden;
  if (cfg.kind === 'mlp2x_gelu') return din * h + h + h * h + h;
  return moeLayerParamCount({
    algorithm: cfg.algorithm, dModel: din, dOut: h, nExperts: cfg.nExperts, topK: cfg.topK,
    expert: { kind: 'gelu-mlp', hidden: h }, ...(cfg.options ? { options: cfg.options } : {}), seed: 0,
  });
}
