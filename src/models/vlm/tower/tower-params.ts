import type { VisionTowerConfig } from './tower-config.js';
import { tokensPerImage } from './tower-config.js';

/** Everything under the tower lives below this prefix in LibMoE's `clip.bin` (HF's state_dict). */
export const TOWER_PREFIX = 'vision_model.';

/** `vision_model.encoder.layers.{i}.` */
export function layerPrefix(i: number): string {
  return `${TOWER_PREFIX}encoder.layers.${i}.`;
}

/**
 * The dense parameters of a tower (no MoE parameters: the MoE layer declares its own) with
 * their torch shapes, under HF's state_dict names, so an HF/LibMoE checkpoint loads by name.
 * With `cfg.moe`, the layers' `mlp.*` are absent (the experts replace them).
 */
export function denseParamShapes(cfg: VisionTowerConfig): Map<string, number[]> {
  const d = cfg.hidden;
  const p = cfg.patchSize;
  const out = new Map<string, number[]>();
  const emb = `${TOWER_PREFIX}embeddings.`;
  if (cfg.arch === 'clip') out.set(`${emb}class_embedding`, [d]);
  out.set(`${emb}patch_embedding.weight`, [d, 3, p, p]);
  if (cfg.arch === 'siglip') out.set(`${emb}patch_embedding.bias`, [d]);
  out.set(`${emb}position_embedding.weight`, [tokensPerImage(cfg), d]);
  if (cfg.arch === 'clip') out.set(`${TOWER_PREFIX}pre_layrnorm.weight`, [d]).set(`${TOWER_PREFIX}pre_layrnorm.bias`, [d]);
  for (let i = 0; i < cfg.layers; i++) {
    const l = layerPrefix(i);
    for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) out.set(`${l}self_attn.${proj}.weight`, [d, d]).set(`${l}self_attn.${proj}.bias`, [d]);
    out.set(`${l}layer_norm1.weight`, [d]).set(`${l}layer_norm1.bias`, [d]);
    if (!cfg.moe) {
      out.set(`${l}mlp.fc1.weight`, [cfg.intermediate, d]).set(`${l}mlp.fc1.bias`, [cfg.intermediate]);
      out.set(`${l}mlp.fc2.weight`, [d, cfg.intermediate]).set(`${l}mlp.fc2.bias`, [d]);
    }
    out.set(`${l}layer_norm2.weight`, [d]).set(`${l}layer_norm2.bias`, [d]);
  }
  return out;
}
