/**
 * Each MoE layer's parameters read back to the host (for routing analysis: the average
 * normalised inner product of expert keys, values and selection weights, docs/analysis.md).
 * Names are LibMoE's state_dict names without the `layers.{i}.ffn.` prefix (`keys`, `values`,
 * `expert_sel`, `experts.{e}.0.weight`, `gate.weight`, …); values are row-major in `shape`.
 * Reads are asynchronous (`dataSync` is unavailable on WebGPU in Node).
 */
import type { TransformerLM } from './transformer-lm.js';

export interface MoeParameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface MoeLayerWeights {
  /** Transformer block of the MoE layer. */
  readonly layer: number;
  readonly algorithm: string;
  /** Expert family of the routed bank (`relu-kv`: keys/values; `gelu-mlp`: experts.{e}.{0,2}). */
  readonly expertKind: string;
  readonly nExperts: number;
  readonly params: readonly MoeParameter[];
}

/** Every MoE layer's parameters, in block order. `only` keeps the names it accepts (default: all). */
export async function moeLayerWeights(model: TransformerLM, only: (name: string) => boolean = () => true): Promise<MoeLayerWeights[]> {
  const out: MoeLayerWeights[] = [];
  for (const [layer, moe] of model.moeLayers.entries()) {
    if (!moe) continue;
    const prefix = `layers.${layer}.ffn.`;
    const names = [...model.params.keys()].filter((k) => k.startsWith(prefix) && only(k.slice(prefix.length)));
    const values = await Promise.all(names.map((k) => model.param(k).data() as Promise<Float32Array>));
    out.push({
      layer,
      algorithm: moe.spec.algorithm,
      expertKind: moe.spec.expert.kind,
      nExperts: moe.spec.nExperts,
      params: names.map((k, i) => ({ name: k.slice(prefix.length), shape: model.param(k).shape, values: values[i]! })),
    });
  }
  return out;
}
