/**
 * LibMoE router names a pipeline may ask for: the keys of the models' router registry
 * (src/models/moe/registry.ts on the moe-routers branch) as of this writing. INTEGRATION POINT: when src/models' router registry lands, the CLI passes
 * its keys to `validatePipeline` instead of this list.
 */
export const LIBMOE_ALGORITHMS: readonly string[] = [
  // LM stack (language_modeling MOE_TYPE module names)
  'moe_layer', 'moe_layer_xmoe', 'moe_layer_deepseekv2', 'moe_layer_deepseekv3', 'moe_layer_tc_moe', 'moe_layer_remoe',
  // VLM stack (@register_moe names; paper v1.1 routers)
  'smoe', 'smoe_sigmoidgating', 'xmoe', 'smoe_share', 'smoe_sharev3', 'smoe_tcmoe', 'smoe_plus_plus',
  'smoe_cosinegating', 'smoe_perturbed', 'smoe_sigmoidgating_v1', 'hyperrouter', 'remoe',
];
