import type { MoeLayerSpec } from '../../../src/models/moe/types.js';

/**
 * A tiny layer of any router in the registry, in the setting that exercises its state: LM
 * routers (`moe_layer*`) on ReLU key-value experts with the aux mode their stateful parts need
 * (X-MoE's step mode, TC-MoE's, DeepSeek's group routing), VLM routers on GELU-MLP experts.
 */
export function smallLayerSpec(name: string): MoeLayerSpec {
  if (name.startsWith('moe_layer')) {
    const options: MoeLayerSpec['options'] = name === 'moe_layer_xmoe' ? { perplexity_reg_mode: 'step' }
      : name === 'moe_layer_tc_moe' ? { perplexity_reg_mode: 'tcmoe' }
      : name === 'moe_layer_deepseekv2' ? { perplexity_reg_mode: 'deepseek', n_group: 4, topk_group: 2 } : {};
    return { algorithm: name, dModel: 8, nExperts: 8, topK: 2, expert: { kind: 'relu-kv', size: 6 }, options, seed: 3 };
  }
  return { algorithm: name, dModel: 8, nExperts: 4, topK: 2, expert: { kind: 'gelu-mlp', hidden: 12 }, options: {}, seed: 3 };
}
