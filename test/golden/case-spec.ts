/**
 * Golden case → layer spec. Every shape and hyper-parameter comes from the case's `config`
 * and `constants` (the hidden set has other shapes); only the algorithm names are mapped.
 */
import type { Json } from '../../src/streams/stage.js';
import type { MoeCallContext, MoeLayerSpec } from '../../src/models/moe/types.js';
import { routerOptions } from '../../src/models/moe/registry.js';
import type { GoldenCase } from './golden-format.js';

/** Golden `algorithm` → LibMoE registry name. */
const NAMES: Record<string, string> = {
  'vlm/smoe': 'smoe',
  'vlm/smoe_sigmoidgating': 'smoe_sigmoidgating',
  'vlm/xmoe': 'xmoe',
  'vlm/smoe_share': 'smoe_share',
  'vlm/smoe_sharev3': 'smoe_sharev3',
  'vlm/smoe_tcmoe': 'smoe_tcmoe',
  'vlm/smoe_plus_plus': 'smoe_plus_plus',
  'vlm/upcycling_smoe': 'smoe',
  'vlm_v1/smoe_cosinegating': 'smoe_cosinegating',
  'vlm_v1/smoe_perturbed': 'smoe_perturbed',
  'vlm_v1/smoe_sigmoidgating': 'smoe_sigmoidgating_v1',
  'vlm_v1/hyperrouter': 'hyperrouter',
  'vlm_b5/remoe': 'remoe',
  'lm/moe_gate_standard': 'moe_layer',
  'lm/moe_sigmoid_standard': 'moe_layer',
  'lm/moe_entropy_reg': 'moe_layer',
  'lm/xmoe': 'moe_layer_xmoe',
  'lm/deepseekv2_standard': 'moe_layer_deepseekv2',
  'lm/deepseekv2_group_bias': 'moe_layer_deepseekv2',
  'lm/deepseekv3': 'moe_layer_deepseekv3',
  'lm/tc_moe': 'moe_layer_tc_moe',
  'lm/remoe': 'moe_layer_remoe',
};

const SHAPE_KEYS = new Set(['B', 'T', 'D', 'E', 'K']);

export function isLm(c: GoldenCase): boolean {
  return c.algorithm.startsWith('lm/');
}

export function isUpcycling(c: GoldenCase): boolean {
  return c.algorithm === 'vlm/upcycling_smoe';
}

export function registryName(c: GoldenCase): string {
  const name = NAMES[c.algorithm];
  if (!name) throw new Error(`${c.id}: no registry name for golden algorithm '${c.algorithm}'`);
  return name;
}

export function specFromCase(c: GoldenCase): MoeLayerSpec {
  const cfg = c.config;
  const num = (k: string): number => {
    const v = cfg[k];
    if (typeof v !== 'number') throw new Error(`${c.id}: config.${k} missing`);
    return v;
  };
  // A case also records what it fixed but the router does not read (shapes of the reference,
  // descriptive constants such as router_dim): only the router's declared options pass, the
  // others would be refused as unknown options.
  const algorithm = registryName(c);
  const declared = new Set(routerOptions(algorithm).map((o) => o.name));
  const options: Record<string, Json> = {};
  for (const [k, v] of Object.entries(c.constants ?? {})) if (declared.has(k)) options[k] = v as Json;
  for (const [k, v] of Object.entries(cfg)) if (!SHAPE_KEYS.has(k) && declared.has(k)) options[k] = v as Json;
  return {
    algorithm,
    dModel: num('D'),
    nExperts: num('E'),
    topK: num('K'),
    expert: isLm(c) ? { kind: 'relu-kv', size: num('expert_size') } : { kind: 'gelu-mlp', hidden: num('expert_hidden') },
    options,
    seed: 1,
  };
}

export function contextFromCase(c: GoldenCase): MoeCallContext {
  const step = typeof c.config['current_step'] === 'number' ? c.config['current_step'] : 0;
  const total = typeof c.config['total_steps'] === 'number' ? c.config['total_steps'] : 1;
  return { training: true, step, totalSteps: total, collectInternals: true };
}
