import type { Scalar, Tensor, Tensor2D } from '../tf.js';
import type { MoeCallContext } from './types.js';

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
