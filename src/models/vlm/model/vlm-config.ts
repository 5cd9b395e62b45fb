/**
 * The whole vision-language model as one config (LibMoE's LLaVA: vision tower → projector →
 * language model): each component's shape and, for MoE components, its router; every initial
 * weight follows from the seeds.
 */
import type { Json } from '../../../base/json.js';
import type { LmConfig } from '../../lm/config.js';
import type { VisionTowerConfig } from '../tower/tower-config.js';

/** LibMoE's `mm_projector_type`: the dense `mlp2x_gelu`, or `moe` (MLPMoE, experts = mlp2x_gelu). */
export type ProjectorConfig =
  | { readonly kind: 'mlp2x_gelu' }
  | {
      readonly kind: 'moe';
      /** Any VLM router of the registry by LibMoE's name (`--moe_name`). */
      readonly algorithm: string;
      readonly nExperts: number;
      readonly topK: number;
      /** Router options under LibMoE's names (`balance_loss_coef`, `router_z_loss_coef`, …). */
      readonly options?: Readonly<Record<string, Json>>;
    };

/** A decoder other than TransformerLM (e.g. `{ arch: 'phi3', config: {…} }`): its builder reads it. */
export interface OtherLmConfig {
  readonly arch: string;
  readonly config: Json;
}

export function isOtherLm(c: VlmConfig['languageModel']): c is OtherLmConfig {
  return 'arch' in c;
}

export interface VlmConfig {
  /** The vision tower (CLIP or SigLIP; `tower.moe` makes every encoder MLP an MoE layer). */
  readonly tower: VisionTowerConfig;
  readonly projector: ProjectorConfig;
  /** moeflow's TransformerLM (its own `seed` initialises it), or another decoder's config under
   *  its `arch` (Phi-3), built by the LanguageModelBuilder given to `VisionLanguageModel.create`. */
  readonly languageModel: LmConfig | OtherLmConfig;
  /** Seed of the tower's and the projector's fresh weights. */
  readonly seed: number;
  /**
   * When set, every router (each tower layer's and the projector's) is drawn from this one seed,
   * as LibMoE's `init_gate_weights` draws every router from a generator seeded 42; sparse
   * upcycling sets 42. Unset: each router from its own seed derived from `seed`.
   */
  readonly routerSeed?: number;
  /** `tokenizer_model_max_length`: spliced sequences are cut to it (LibMoE 2048); null: no cut. */
  readonly maxLength: number | null;
  /**
   * A text-only row still consumes a feature block (LLaVA's collator). 'zero-image' runs the
   * tower and projector on a zero image for it, as LibMoE does (its routing then counts in the
   * aux losses and statistics); 'zero-features' (default) uses zero rows without a tower pass.
   * The block's rows are never spliced in, so the logits are the same either way.
   */
  readonly textOnlyRows?: 'zero-features' | 'zero-image';
}

/** The checkpoint-name prefix of each component (LLaVA's module names), so freezing and loading go by name. */
export const COMPONENT_PREFIX = {
  tower: 'vision_tower.',
  projector: 'mm_projector.',
  languageModel: 'language_model.',
} as const;

/** Whether the config has an MoE anywhere in the vision half (what upcycling adds). */
export function hasVisionMoe(c: VlmConfig): boolean {
  return c.tower.moe !== undefined || c.projector.kind === 'moe';
}
