import type { ParamFactory } from '../init.js';
import type { MlpActivation } from '../../kernels/activations.js';
import type { ExpertSpec, GeluMlpNames } from '../types.js';
import type { ExpertBank } from './expert-bank.js';
import { geluMlpBank } from './gelu-mlp/bank.js';
import { reluKvBank } from './relu-kv/bank.js';

/** The expert FFN families (MegaBlocks' MLP registry, keyed by the MLP type). */
export const EXPERT_KINDS = ['gelu-mlp', 'relu-kv'] as const;
export type ExpertKind = (typeof EXPERT_KINDS)[number];

/**
 * Which experts a bank holds. `routed`: the layer's bank, under the kind's LibMoE names;
 * `shared`: always-on experts a router owns (DeepSeek), under the kind's shared names.
 */
export interface BankRequest {
  readonly count: number;
  readonly dModel: number;
  /** Hidden width of each expert (gelu-mlp H, relu-kv s). */
  readonly width: number;
  /** Output width (default dModel); only gelu-mlp experts map in ≠ out. */
  readonly dOut?: number;
  readonly role: 'routed' | 'shared';
  /** gelu-mlp only: the activation (default exact GELU) and the linears' names (default `0`/`2`). */
  readonly activation?: MlpActivation;
  readonly names?: GeluMlpNames;
}

export type BankBuilder = (pf: ParamFactory, req: BankRequest) => ExpertBank;

/**
 * Each kind's bank with its LibMoE parameter names: gelu-mlp `experts.{e}.{0,2}.{weight,bias}`
 * (shared: `shared_experts.{e}.…`, no LibMoE layer has one), relu-kv `keys` / `values`
 * (shared: DeepSeek's `keys_shared` / `values_shared`).
 */
const KINDS = new Map<ExpertKind, BankBuilder>([
  ['gelu-mlp', (pf, r) => geluMlpBank(pf, r.count, r.dModel, r.width, 0, r.role === 'routed' ? 'experts.' : 'shared_experts.', r.activation, r.names, r.dOut)],
  ['relu-kv', (pf, r) => (r.dOut !== undefined && r.dOut !== r.dModel ? refuse('relu-kv', r) : r.role === 'routed' ? reluKvBank(pf, r.count, r.dModel, r.width) : reluKvBank(pf, r.count, r.dModel, r.width, 'keys_shared', 'values_shared'))],
]);

/** σ-MoE's key/value experts add back into the residual stream: their output width is the input width. */
function refuse(kind: ExpertKind, r: BankRequest): never {
  throw new Error(`${kind} experts map D → D; an output width ${r.dOut} ≠ ${r.dModel} needs gelu-mlp experts`);
}

export function expertBank(kind: ExpertKind, pf: ParamFactory, req: BankRequest): ExpertBank {
  const build = KINDS.get(kind);
  if (!build) throw new Error(`unknown expert kind '${kind}'; known: ${EXPERT_KINDS.join(', ')}`);
  return build(pf, req);
}

/** What a bank request carries beyond the width: gelu-mlp's activation and names, when set. */
export function expertStyle(spec: ExpertSpec): Pick<BankRequest, 'activation' | 'names'> {
  if (spec.kind !== 'gelu-mlp') return {};
  return { ...(spec.activation ? { activation: spec.activation } : {}), ...(spec.names ? { names: spec.names } : {}) };
}

/** The hidden width of an expert spec, whatever its kind. */
export function expertWidth(spec: ExpertSpec): number {
  return spec.kind === 'gelu-mlp' ? spec.hidden : spec.size;
}

/** The spec of `kind` experts of hidden width `width`. */
export function expertSpec(kind: ExpertKind, width: number): ExpertSpec {
  return kind === 'gelu-mlp' ? { kind, hidden: width } : { kind, size: width };
}
