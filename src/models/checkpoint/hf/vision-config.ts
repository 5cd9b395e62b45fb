/**
 * transformers' `CLIPVisionConfig` / `SiglipVisionConfig` → VisionTowerConfig. The vision
 * settings are the top level of a CLIPVisionModel / SiglipVisionModel folder
 * (`model_type: clip_vision_model | siglip_vision_model`) and `vision_config` of a full
 * CLIPModel / SiglipModel (`model_type: clip | siglip`). Absent keys take the class defaults.
 */
import { MLP_ACTIVATIONS, type MlpActivation } from '../../kernels/activations.js';
import type { VisionArch, VisionTowerConfig } from '../../vlm/tower/tower-config.js';
import type { HfConfig } from './hf-config.js';

/** Where a model type keeps its vision settings, and the tower family it is. */
const FAMILIES: Readonly<Record<string, { readonly arch: VisionArch; readonly section: string | null }>> = {
  clip_vision_model: { arch: 'clip', section: null },
  siglip_vision_model: { arch: 'siglip', section: null },
  clip: { arch: 'clip', section: 'vision_config' },
  siglip: { arch: 'siglip', section: 'vision_config' },
};

/** The defaults transformers' config classes give the keys that differ between the two. */
const DEFAULTS: Readonly<Record<VisionArch, { readonly patchSize: number; readonly act: MlpActivation; readonly eps: number }>> = {
  clip: { patchSize: 32, act: 'quick_gelu', eps: 1e-5 },
  siglip: { patchSize: 16, act: 'gelu_pytorch_tanh', eps: 1e-6 },
};

export interface HfVisionConfig {
  readonly config: VisionTowerConfig;
  /** The checkpoint's `model_type`. */
  readonly modelType: string;
}

/** `scales` is LibMoE's S² setting, which no HF config holds ([1]: the plain tower). */
export function visionConfigFromHf(cfg: HfConfig, scales: readonly number[] = [1]): HfVisionConfig {
  const modelType = cfg.str('model_type');
  const family = FAMILIES[modelType];
  if (!family) cfg.fail('model_type', `is '${modelType}'; a vision tower loads from ${Object.keys(FAMILIES).map((k) => `'${k}'`).join(', ')}`);
  const v = family.section ? cfg.section(family.section) : cfg;
  const d = DEFAULTS[family.arch];
  const channels = v.int('num_channels', 3);
  if (channels !== 3) v.fail('num_channels', `is ${channels}; the towers take RGB images (3)`);
  const act = v.str('hidden_act', d.act);
  if (!(MLP_ACTIVATIONS as readonly string[]).includes(act)) v.fail('hidden_act', `is '${act}'; supported: ${MLP_ACTIVATIONS.join(', ')}`);
  return {
    modelType,
    config: {
      arch: family.arch,
      imageSize: v.int('image_size', 224),
      patchSize: v.int('patch_size', d.patchSize),
      hidden: v.int('hidden_size', 768),
      intermediate: v.int('intermediate_size', 3072),
      layers: v.int('num_hidden_layers', 12),
      heads: v.int('num_attention_heads', 12),
      activation: act as MlpActivation,
      layerNormEps: v.num('layer_norm_eps', d.eps),
      scales: [...scales],
    },
  };
}
