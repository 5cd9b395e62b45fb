/**
 * LibMoE's stage-3 start (sparse upcycling, libmoe.md §5.1): from the dense stage-2 VLM, a VLM
 * whose every vision-tower MLP and whose projector are MoE layers of one router, each expert a
 * copy of the dense weights it replaces; every router drawn N(0, std_gate = 0.02) from one seed
 * (42, the same for every layer as LibMoE's generator); every other parameter copied. The
 * experts of a layer being identical and its gate weights summing to 1, the upcycled VLM
 * computes the dense VLM's logits (up to float32 rounding) until training separates them.
 */
import type { Json } from '../../../base/json.js';
import { tf } from '../../tf.js';
import { routerOptions } from '../../moe/registry.js';
import type { LanguageModelBuilder, VisionLanguageModel } from './vision-language-model.js';
import { VisionLanguageModel as Vlm } from './vision-language-model.js';
import { hasVisionMoe, type VlmConfig } from './vlm-config.js';

/** LibMoE's stage-3 loss coefficients (`--balance_loss_coef 0.01 --router_z_loss_coef 0.001`). */
export const SFT_COEFFICIENTS = { balance_loss_coef: 0.01, router_z_loss_coef: 0.001 } as const;

export interface UpcycleVlmOptions {
  /** Any VLM router of the registry by LibMoE's name (`--moe_name`). */
  readonly algorithm: string;
  /** E: 4 (paper v1) by default; v2 uses 6. */
  readonly nExperts?: number;
  /** K: 2 (paper v1) by default; v2 uses 3. */
  readonly topK?: number;
  /** Router options; `balance_loss_coef` 0.01 and `router_z_loss_coef` 0.001 (the SFT script's) unless given. */
  readonly options?: Readonly<Record<string, Json>>;
  /**
   * The projector's router when it differs from the tower's (`moe_name` is one flag in LibMoE,
   * but MoE++'s copy/constant experts cannot map mm_hidden → llm_hidden); null keeps it dense.
   */
  readonly projectorAlgorithm?: string | null;
  /** The routers' seed (LibMoE: 42 for every layer). */
  readonly routerSeed?: number;
}

/** The MoE config the upcycled model has: the dense one with the tower's MLPs and the projector made MoE. */
export function upcycledConfig(dense: VlmConfig, o: UpcycleVlmOptions): VlmConfig {
  if (hasVisionMoe(dense)) throw new Error('upcycleVlm: the model already has MoE layers in its vision half');
  const moeOf = (algorithm: string) => {
    // The SFT script's coefficients, stated for the routers that read them (others refuse unknown options).
    const declared = new Set(routerOptions(algorithm).map((opt) => opt.name));
    const coefs = Object.fromEntries(Object.entries(SFT_COEFFICIENTS).filter(([k]) => declared.has(k)));
    return { algorithm, nExperts: o.nExperts ?? 4, topK: o.topK ?? 2, options: { ...coefs, ...(o.options ?? {}) } };
  };
  const projector = o.projectorAlgorithm === null ? dense.projector : { kind: 'moe' as const, ...moeOf(o.projectorAlgorithm ?? o.algorithm) };
  return { ...dense, tower: { ...dense.tower, moe: moeOf(o.algorithm) }, projector, routerSeed: o.routerSeed ?? 42 };
}

/**
 * Where an upcycled parameter's initial value comes from in the dense model (by checkpoint
 * name), or null for a fresh one (routers, router-owned experts):
 *   vision_tower.….layers.{i}.moelayer.experts.{j}.fc{1,2}.*  ← vision_tower.….layers.{i}.mlp.fc{1,2}.*
 *   mm_projector.moelayer.experts.{j}.{0,2}.*                 ← mm_projector.{0,2}.*
 *   anything else                                            ← the same name, if the dense model has it.
 */
export function denseSourceOf(name: string, dense: ReadonlySet<string>): string | null {
  const src = name
    .replace(/^(vision_tower\..*\.)moelayer\.experts\.\d+\.(fc[12]\.(?:weight|bias))$/, '$1mlp.$2')
    .replace(/^(mm_projector\.)moelayer\.experts\.\d+\.([02]\.(?:weight|bias))$/, '$1$2');
  return dense.has(src) ? src : null;
}

/** The upcycled MoE VLM; `dense` is left as it was. `buildLanguageModel` as for VisionLanguageModel.create. */
export function upcycleVlm(dense: VisionLanguageModel, o: UpcycleVlmOptions, buildLanguageModel?: LanguageModelBuilder): VisionLanguageModel {
  const moe = Vlm.create(upcycledConfig(dense.config, o), buildLanguageModel);
  const names = new Set(dense.params.keys());
  const used = new Set<string>();
  for (const [name, v] of moe.params) {
    const src = denseSourceOf(name, names);
    if (src === null) continue;
    const from = dense.params.get(src)!;
    if (from.shape.join() !== v.shape.join()) throw new Error(`upcycleVlm: '${name}' [${v.shape}] cannot start from '${src}' [${from.shape}]`);
    tf.tidy(() => v.assign(tf.clone(from)));
    used.add(src);
  }
  // Every dense weight must land somewhere: a dropped one means the name mapping is wrong.
  const dropped = [...names].filter((n) => !used.has(n));
  if (dropped.length > 0) {
    moe.dispose();
    throw new Error(`upcycleVlm: dense parameters with no place in the MoE model: ${dropped.slice(0, 5).join(', ')}`);
  }
  return moe;
}
