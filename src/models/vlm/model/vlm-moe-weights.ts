/**
 * Each MoE layer's parameters of a vision-language model read back to the host, component by
 * component (for the expert-weight ANI of `pipeline analyze` on a VLM run). The tower's experts
 * carry HF's names (`experts.{e}.fc1.weight`, `fc2`), the projector's LibMoE's
 * (`experts.{e}.0.weight`, `2`); both are given under the projector's names, the ones the ANI
 * reads for a `gelu-mlp` bank. A TransformerLM decoder's MoE blocks come as `moeLayerWeights`.
 */
import type { Variable } from '../../tf.js';
import { moeLayerWeights, type MoeLayerWeights } from '../../lm/moe-layer-weights.js';
import { TransformerLM } from '../../lm/transformer-lm.js';
import type { MoeLayer } from '../../moe/types.js';
import type { VisionLanguageModel } from './vision-language-model.js';
import type { VlmComponent } from './vlm-probe-routes.js';

/** HF's tower expert names → the projector's (`fc1` is LibMoE's `0`, `fc2` its `2`). */
function libmoeName(name: string): string {
  return name.replace(/^experts\.(\d+)\.fc1\./, 'experts.$1.0.').replace(/^experts\.(\d+)\.fc2\./, 'experts.$1.2.');
}

async function layerWeights(layer: number, moe: MoeLayer, only: (name: string) => boolean): Promise<MoeLayerWeights> {
  const vars: [string, Variable][] = [...moe.variables].map(([k, v]) => [libmoeName(k), v] as [string, Variable]).filter(([k]) => only(k));
  const values = await Promise.all(vars.map(([, v]) => v.data() as Promise<Float32Array>));
  return {
    layer, algorithm: moe.spec.algorithm, expertKind: moe.spec.expert.kind, nExperts: moe.spec.nExperts,
    params: vars.map(([name, v], i) => ({ name, shape: v.shape, values: values[i]! })),
  };
}

/** Vision encoder layers, then the projector, then decoder blocks; `only` keeps the names it accepts. */
export async function vlmMoeLayerWeights(model: VisionLanguageModel, only: (name: string) => boolean = () => true): Promise<(MoeLayerWeights & { component: VlmComponent })[]> {
  const out: (MoeLayerWeights & { component: VlmComponent })[] = [];
  for (const [i, moe] of model.tower.moeLayers.entries()) out.push({ component: 'vision', ...await layerWeights(i, moe, only) });
  if (model.projector.moeLayer) out.push({ component: 'projector', ...await layerWeights(0, model.projector.moeLayer, only) });
  if (model.languageModel instanceof TransformerLM) for (const w of await moeLayerWeights(model.languageModel, only)) out.push({ component: 'language_model', ...w });
  return out;
}
