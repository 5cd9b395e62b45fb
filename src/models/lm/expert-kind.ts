/**
 * Which expert FFN an MoE block of the LM gets. LibMoE's two stacks pair each router with its
 * own expert family: the VLM routers (`@register_moe`) run exact-GELU MLPs with biases, the
 * LM modules (`MOE_TYPE`, σ-MoE) run bias-free ReLU key/value experts. The router registry
 * does not record the pairing (each factory only rejects the wrong kind when built), so the
 * LM keeps it here, keyed by registry name.
 */
import type { ExpertSpec } from '../moe/types.js';

export const EXPERT_CHOICES = ['auto', 'gelu-mlp', 'relu-kv'] as const;
export type ExpertChoice = (typeof EXPERT_CHOICES)[number];
export type ExpertKind = Exclude<ExpertChoice, 'auto'>;

/** LibMoE's VLM routers (vision_language_model `@register_moe` names and the paper v1.1 additions). */
const VLM_ROUTERS: ReadonlySet<string> = new Set([
  'smoe', 'smoe_sigmoidgating', 'xmoe', 'smoe_share', 'smoe_sharev3', 'smoe_tcmoe', 'smoe_plus_plus',
  'smoe_cosinegating', 'smoe_perturbed', 'smoe_sigmoidgating_v1', 'hyperrouter', 'remoe',
]);

/**
 * The expert kind for `algorithm` under `choice`. 'auto': gelu-mlp for a VLM router, relu-kv
 * for everything else (the LM routers, and routers registered by users, which the LM
 * has always built with relu-kv experts).
 */
export function expertKindFor(algorithm: string, choice: ExpertChoice = 'auto'): ExpertKind {
  if (choice !== 'auto') return choice;
  return VLM_ROUTERS.has(algorithm) ? 'gelu-mlp' : 'relu-kv';
}

/** The expert of one MoE block: width `size` is the expert's hidden width in both families
 *  (gelu-mlp `hidden` = H, relu-kv `size` = s), so K·size stays the active FFN width. */
export function lmExpertSpec(algorithm: string, size: number, choice: ExpertChoice = 'auto'): ExpertSpec {
  return expertKindFor(algorithm, choice) === 'gelu-mlp' ? { kind: 'gelu-mlp', hidden: size } : { kind: 'relu-kv', size };
}
