import type { Json } from '../../../base/json.js';
import type { MlpActivation } from '../../kernels/activations.js';

/**
 * The two ViT families LibMoE's VLM uses as vision towers. They differ in four places:
 * CLIP has a class token, a bias-free patch conv and a `pre_layrnorm`, and drops the class
 * token from the features; SigLIP has none of these and keeps every token.
 */
export type VisionArch = 'clip' | 'siglip';

/** A tower's shape, under the names of HF's `CLIPVisionConfig` / `SiglipVisionConfig` where they exist. */
export interface VisionTowerConfig {
  readonly arch: VisionArch;
  /** S: input images are [B, 3, S, S]. */
  readonly imageSize: number;
  /** p: the patch conv's kernel and stride; S/p = g patches per side, P = g² patches. */
  readonly patchSize: number;
  /** D. */
  readonly hidden: number;
  /** I: the MLP's inner width (and each MoE expert's). */
  readonly intermediate: number;
  /** L encoder layers; LibMoE's output is the input of the last one. */
  readonly layers: number;
  readonly heads: number;
  /** HF `hidden_act`: `quick_gelu` (CLIP) or `gelu_pytorch_tanh` (SigLIP). */
  readonly activation: MlpActivation;
  readonly layerNormEps: number;
  /** S² scales, LibMoE's `s2_scales`: [1] is the plain tower, [1, s] adds s×s crops of an s-times upsample. */
  readonly scales: readonly number[];
  /** When set, every encoder MLP is an MoE layer of this router (LibMoE's `clip_smoe`). */
  readonly moe?: TowerMoeConfig;
}

/** The MoE that replaces every encoder MLP: any router of the MoE registry, chosen by name. */
export interface TowerMoeConfig {
  /** Registry name (LibMoE's `moe_name`), e.g. `smoe`. */
  readonly algorithm: string;
  readonly nExperts: number;
  readonly topK: number;
  /** Router options under LibMoE's names (`balance_loss_coef`, `router_z_loss_coef`, …). */
  readonly options?: Readonly<Record<string, Json>>;
}

/** Tokens per image: P patches, plus CLIP's class token. */
export function tokensPerImage(cfg: VisionTowerConfig): number {
  return patchesPerImage(cfg) + (cfg.arch === 'clip' ? 1 : 0);
}

export function patchesPerImage(cfg: VisionTowerConfig): number {
  const g = cfg.imageSize / cfg.patchSize;
  return g * g;
}

/** Refuses shapes the tower cannot run, naming the field. */
export function checkTowerConfig(cfg: VisionTowerConfig): void {
  const positive = ['imageSize', 'patchSize', 'hidden', 'intermediate', 'layers', 'heads'] as const;
  for (const k of positive) {
    if (!(Number.isInteger(cfg[k]) && cfg[k] > 0)) throw new Error(`vision tower: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (cfg.imageSize % cfg.patchSize !== 0) throw new Error(`vision tower: imageSize ${cfg.imageSize} is not a multiple of patchSize ${cfg.patchSize}`);
  if (cfg.hidden % cfg.heads !== 0) throw new Error(`vision tower: hidden ${cfg.hidden} is not a multiple of heads ${cfg.heads}`);
  if (cfg.scales.length === 0 || cfg.scales[0] !== 1 || !cfg.scales.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new Error(`vision tower: scales must start with 1 and be positive integers (S² [1, s]), got ${JSON.stringify(cfg.scales)}`);
  }
}
