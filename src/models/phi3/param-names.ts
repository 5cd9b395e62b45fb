import { headDim } from './config.js';
import type { Phi3ModelConfig } from './model-config.js';

/**
 * Phi3ForCausalLM's state_dict names, so a transformers checkpoint loads by name:
 * `model.embed_tokens.weight`, `model.layers.{i}.<Phi3DecoderLayer name>`, `model.norm.weight`,
 * `lm_head.weight`.
 */
export const EMBED_TOKENS = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';

/** `model.layers.{i}.` */
export function phi3LayerPrefix(i: number): string {
  return `model.layers.${i}.`;
}

/** Every parameter with its torch shape. A tied model has no `lm_head.weight` of its own. */
export function phi3ParamShapes(c: Phi3ModelConfig): Map<string, number[]> {
  const d = c.hidden;
  const hd = headDim(c);
  const out = new Map<string, number[]>([[EMBED_TOKENS, [c.vocabSize, d]]]);
  for (let i = 0; i < c.layers; i++) {
    const l = phi3LayerPrefix(i);
    out.set(`${l}self_attn.qkv_proj.weight`, [(c.heads + 2 * c.kvHeads) * hd, d]).set(`${l}self_attn.o_proj.weight`, [d, c.heads * hd]);
    out.set(`${l}mlp.gate_up_proj.weight`, [2 * c.intermediate, d]).set(`${l}mlp.down_proj.weight`, [d, c.intermediate]);
    out.set(`${l}input_layernorm.weight`, [d]).set(`${l}post_attention_layernorm.weight`, [d]);
  }
  out.set(FINAL_NORM, [d]);
  if (!c.tieWordEmbeddings) out.set(LM_HEAD, [c.vocabSize, d]);
  return out;
}
