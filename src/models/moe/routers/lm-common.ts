import { tf, type Scalar, type Tensor2D } from '../../tf.js';
import { entropyReg, type EntropyMode } from '../losses/entropy-reg.js';
import { lmBalanceLoss } from '../losses/lm-balance.js';
import { numOpt, strOpt } from '../options.js';
import type { MoeLayerSpec } from '../types.js';

export type SelectionMode = 'gate' | 'sigmoid';
/** `deepseek`: DeepSeek-V2 group routing + aux-free bias; `tcmoe`: TC-MoE's own balance. */
export type PerplexityMode = 'standard' | EntropyMode | 'deepseek' | 'tcmoe';

export interface LmOptions {
  readonly selection: SelectionMode;
  readonly mode: PerplexityMode;
  /** λ (`perplexity_reg`). */
  readonly lambda: number;
  readonly expertSize: number;
}

export function lmOptions(spec: MoeLayerSpec, modes: readonly PerplexityMode[]): LmOptions {
  if (spec.expert.kind !== 'relu-kv') throw new Error(`${spec.algorithm}: LM layers use 'relu-kv' experts, got '${spec.expert.kind}'`);
  return {
    selection: strOpt(spec, 'selection_mode', ['gate', 'sigmoid'] as const, 'sigmoid'),
    mode: strOpt(spec, 'perplexity_reg_mode', modes, modes[0]!),
    lambda: numOpt(spec, 'perplexity_reg', 0),
    expertSize: spec.expert.size,
  };
}

/** LibMoE's `sel_activation`: softmax for `gate`, elementwise σ for `sigmoid`. */
export function selectionActivation(l: Tensor2D, mode: SelectionMode): Tensor2D {
  return mode === 'gate' ? tf.softmax(l) : tf.sigmoid(l);
}

/**
 * The LM regulariser (`aux_total` = the layer's "moe" reg, already × λ). `standard` (and
 * DeepSeek's `deepseek`) report balance_loss and balance_loss_unscaled; entropy modes
 * report entropy_reg computed from `entropyLogits`.
 */
export function lmRegulariser(
  o: LmOptions, scores: Tensor2D, entropyLogits: Tensor2D, idx: Int32Array, batch: number, seqLen: number, k: number, renormalise = true,
): { aux: Record<string, Scalar>; auxTotal: Scalar } {
  if (o.mode === 'tcmoe') throw new Error('lmRegulariser: TC-MoE computes its own balance');
  if (o.mode === 'standard' || o.mode === 'deepseek') {
    const unscaled = lmBalanceLoss(scores, idx, batch, seqLen, k, renormalise);
    const scaled = tf.mul(unscaled, o.lambda) as Scalar;
    return { aux: { balance_loss: scaled, balance_loss_unscaled: unscaled, aux_total: scaled }, auxTotal: scaled };
  }
  const reg = tf.mul(entropyReg(entropyLogits, o.mode, batch, seqLen), o.lambda) as Scalar;
  return { aux: { entropy_reg: reg, aux_total: reg }, auxTotal: reg };
}
