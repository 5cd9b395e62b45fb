/**
 * Small checkpoints in HuggingFace's exact folder layout, written from moeflow models: the
 * config.json transformers' `save_pretrained` writes for the model class, and its state_dict
 * (with the extra tensors a real folder holds: CLIP's I64 `position_ids`, text towers, heads).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Phi3ModelConfig } from '../../../src/models/phi3/model-config.js';
import type { VisionTowerConfig } from '../../../src/models/vlm/tower/tower-config.js';
import type { HostParam } from '../../../src/models/checkpoint/named-params.js';
import type { RawTensor } from '../../../src/models/checkpoint/hf/safetensors-file.js';
import { decodeFloats, encodeFloats, type HfFloatDtype } from '../../../src/models/checkpoint/hf/dtypes.js';
import { tf, type Variable } from '../../../src/models/tf.js';

export async function withTmpDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-hf-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** CLIPVisionConfig / SiglipVisionConfig as config.json spells them. */
export function visionConfigJson(c: VisionTowerConfig): Record<string, unknown> {
  return {
    model_type: c.arch === 'clip' ? 'clip_vision_model' : 'siglip_vision_model',
    hidden_size: c.hidden, intermediate_size: c.intermediate, num_hidden_layers: c.layers, num_attention_heads: c.heads,
    num_channels: 3, image_size: c.imageSize, patch_size: c.patchSize, hidden_act: c.activation, layer_norm_eps: c.layerNormEps,
    attention_dropout: 0.0, initializer_range: 0.02,
    ...(c.arch === 'clip' ? { projection_dim: 8, initializer_factor: 1.0 } : {}),
  };
}

export function clipVisionModelJson(c: VisionTowerConfig): Record<string, unknown> {
  return { architectures: ['CLIPVisionModel'], ...visionConfigJson(c), torch_dtype: 'float32', transformers_version: '4.43.0' };
}

/** A full CLIPModel / SiglipModel: the vision settings under `vision_config`, a text config beside them. */
export function dualModelJson(c: VisionTowerConfig, vision: Record<string, unknown> = visionConfigJson(c)): Record<string, unknown> {
  const clip = c.arch === 'clip';
  return {
    architectures: [clip ? 'CLIPModel' : 'SiglipModel'], model_type: clip ? 'clip' : 'siglip',
    ...(clip ? { projection_dim: 8, logit_scale_init_value: 2.6592 } : { initializer_factor: 1.0 }),
    text_config: { model_type: clip ? 'clip_text_model' : 'siglip_text_model', hidden_size: 8, num_hidden_layers: 1, vocab_size: 10 },
    vision_config: vision, torch_dtype: 'float32', transformers_version: '4.43.0',
  };
}

/** Phi3Config as Phi-3-mini's config.json spells it. */
export function phi3ConfigJson(c: Phi3ModelConfig): Record<string, unknown> {
  return {
    architectures: ['Phi3ForCausalLM'], model_type: 'phi3', attention_dropout: 0.0, bos_token_id: 1, embd_pdrop: 0.0, eos_token_id: 32000,
    hidden_act: 'silu', hidden_size: c.hidden, initializer_range: 0.02, intermediate_size: c.intermediate,
    max_position_embeddings: c.maxPositionEmbeddings, original_max_position_embeddings: c.originalMaxPositionEmbeddings,
    num_attention_heads: c.heads, num_hidden_layers: c.layers, num_key_value_heads: c.kvHeads, pad_token_id: c.padTokenId,
    resid_pdrop: 0.0, rms_norm_eps: c.rmsNormEps,
    rope_scaling: c.ropeScaling ? { type: 'longrope', short_factor: c.ropeScaling.shortFactor, long_factor: c.ropeScaling.longFactor } : null,
    rope_theta: c.ropeTheta, sliding_window: c.slidingWindow ?? null, tie_word_embeddings: c.tieWordEmbeddings, torch_dtype: 'bfloat16',
    transformers_version: '4.43.0', use_cache: true, vocab_size: c.vocabSize,
  };
}

/** Tensors a real folder carries beside the tower's, which the loader must ignore. */
export function extraVisionTensors(c: VisionTowerConfig, dual: boolean): Map<string, HostParam> {
  const f = (shape: number[]): HostParam => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)) });
  const d = c.hidden;
  const out = new Map<string, HostParam>([['vision_model.post_layernorm.weight', f([d])], ['vision_model.post_layernorm.bias', f([d])]]);
  if (c.arch === 'siglip') out.set('vision_model.head.probe', f([1, 1, d])).set('vision_model.head.attention.in_proj_weight', f([3 * d, d])).set('vision_model.head.layernorm.weight', f([d]));
  if (dual) {
    out.set('text_model.embeddings.token_embedding.weight', f([10, 8])).set('text_model.final_layer_norm.weight', f([8])).set('logit_scale', f([]));
    if (c.arch === 'clip') out.set('visual_projection.weight', f([8, d])).set('text_projection.weight', f([8, 8]));
    else out.set('logit_bias', f([1]));
  }
  return out;
}

/** CLIP's persistent `position_ids` buffer: int64 [1, T], as older CLIP checkpoints store it. */
export function positionIdsI64(tokens: number): RawTensor {
  const bytes = new Uint8Array(tokens * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < tokens; i++) dv.setBigInt64(i * 8, BigInt(i), true);
  return { dtype: 'I64', shape: [1, tokens], bytes };
}

export function towerConfig(arch: 'clip' | 'siglip'): VisionTowerConfig {
  return {
    arch, imageSize: 16, patchSize: 4, hidden: 12, intermediate: 20, layers: 3, heads: 3,
    activation: arch === 'clip' ? 'quick_gelu' : 'gelu_pytorch_tanh', layerNormEps: arch === 'clip' ? 1e-5 : 1e-6, scales: [1],
  };
}

/** Moves every parameter off its init (norm biases included) and rounds it to `dtype`, so the written file holds it exactly. */
export function perturb(vars: ReadonlyMap<string, Variable>, seed: number, dtype: HfFloatDtype = 'F32'): void {
  let s = seed;
  for (const v of vars.values()) {
    const moved = tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', s++)).dataSync() as Float32Array);
    const t = tf.tensor(decodeFloats(dtype, encodeFloats(dtype, moved)), v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}

/** A small Phi-3.5-like decoder: GQA, LongRoPE with original_max 8 so a 10-token batch takes the long factors. */
export const PHI3: Phi3ModelConfig = {
  vocabSize: 40, layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, rmsNormEps: 1e-5, ropeTheta: 10000,
  maxPositionEmbeddings: 32, originalMaxPositionEmbeddings: 8, tieWordEmbeddings: false, padTokenId: 39, slidingWindow: 2047,
  ropeScaling: { type: 'longrope', shortFactor: [1, 1.5], longFactor: [2, 4] },
};
