/**
 * LibMoE router names a pipeline may ask for (LM stack `MOE_TYPE` files, plus the VLM
 * registry names). INTEGRATION POINT: when src/models' router registry lands, the CLI passes
 * its keys to `validatePipeline` instead of this list.
 */
export const LIBMOE_ALGORITHMS: readonly string[] = [
  'moe_layer', 'moe_layer_xmoe', 'moe_layer_deepseekv2', 'moe_layer_deepseekv3', 'moe_layer_tc_moe', 'moe_layer_plus_plus', 'moe_layer_remoe',
  'smoe', 'smoe_sigmoidgating', 'xmoe', 'smoe_shared', 'smoe_sharev3', 'tcmoe', 'moe_plus_plus', 'hyperrouter', 'smoe_perturbed', 'competesmoe',
];
