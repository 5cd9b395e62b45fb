import type { Json } from '../../base/json.js';
import type { Scalar, Tensor, Tensor2D, Variable } from '../tf.js';
import type { MoeCallContext, MoeLayerSpec } from './types.js';
import type { ExpertBank } from './experts/expert-bank.js';

/** A router internal as LibMoE names it (golden `expected` keys): tensor, host ints, or a number. */
export type Internal = Tensor | Int32Array | Float32Array | number;

/**
 * One routing decision for N = B·T tokens: the discrete part on the host, the weights as
 * differentiable tensors. Slot layout is token-major: slot i = n·K + k.
 */
export interface Routing {
  readonly k: number;
  /** [N·K] router-space indices (LibMoE's `selected_experts`). */
  readonly slots: Int32Array;
  /** [N·K] expert-bank index each slot runs, or −1 when it computes nothing (null slot,
   *  zero expert, ReMoE zero-weight slot). */
  readonly expertOf: Int32Array;
  /** [N, K] weights the combine multiplies expert outputs by (signed for TC-MoE); differentiable. */
  readonly combine: Tensor2D;
  /** [N, E_r] router distribution used for statistics (probability mass, entropy, margin). */
  readonly probs: Tensor2D;
  /** Each loss under LibMoE's component name, and their weighted sum. */
  readonly aux: Record<string, Scalar>;
  readonly auxTotal: Scalar;
  /** Router internals under LibMoE/golden names: router_logits, gate_weights, ... */
  readonly internals: Record<string, Internal>;
}

export interface RouteInput {
  /** [N, D] tokens. */
  readonly x: Tensor2D;
  readonly batch: number;
  readonly seqLen: number;
  readonly ctx: MoeCallContext;
}

/**
 * An algorithm = router + its expert bank + how the routed output becomes the layer output
 * (shared experts). Everything LibMoE-specific lives behind this interface, one file each.
 */
export interface MoeAlgorithm {
  /** Router parameters and any always-on (shared) expert parameters, unprefixed. */
  readonly variables: ReadonlyMap<string, Variable>;
  readonly bank: ExpertBank;
  route(input: RouteInput): Routing;
  /** routed [N, D] → layer output [N, D]; default: routed itself. May add internals. */
  finish?(routed: Tensor2D, input: RouteInput, internals: Record<string, Internal>): Tensor2D;
  state?(): Json;
  setState?(state: Json): void;
}

export type AlgorithmFactory = (spec: MoeLayerSpec, params: import('./init.js').ParamFactory) => MoeAlgorithm;
