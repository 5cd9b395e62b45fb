import { tf, type Scalar, type Tensor2D } from '../../tf.js';
import { entropyReg, type EntropyMode } from '../losses/entropy-reg.js';
import { lmBalanceLoss } from '../losses/lm-balance.js';
import { expertWidth } from '../experts/registry.js';
import { choiceOption, numberOption, type RouterOption } from '../options.js';
import type { MoeLayerSpec } from '../types.js';

export type SelectionMode = 'gate' | 'sigmoid';
/** `deepseek`: DeepSeek-V2 group routing + aux-free bias; `tcmoe`: TC-MoE's own balance. */
export type PerplexityMode = 'standard' | EntropyMode | 'deepseek' | 'tcmoe';

export interface LmOptions {
  readonly selection: SelectionMode;
  readonly mode: PerplexityMode;
  /** λ (`perplexity_reg`). */
  readonly lambda: number;
  /** Hidden width of the layer's experts (LibMoE's expert_size s for relu-kv). */
  readonly expertSize: number;
}

const SELECTION_MODE = choiceOption('selection_mode', ['gate', 'sigmoid'] as const, 'sigmoid', 'selection activation: softmax (gate) or elementwise σ of the router logits');
const PERPLEXITY_REG = numberOption('perplexity_reg', 0, 'λ, weight of the regulariser in aux_total');

/** The LM options of a router whose regulariser is one of `modes` (the first is the default). */
export interface LmOptionSet {
  readonly options: readonly RouterOption[];
  read(spec: MoeLayerSpec): LmOptions;
}

export function lmOptionSet(modes: readonly PerplexityMode[]): LmOptionSet {
  const mode = choiceOption('perplexity_reg_mode', modes, modes[0]!, 'regulariser: standard balance, step/time/global entropy, and where offered deepseek (group routing + aux-free bias) or tcmoe');
  return {
    options: [SELECTION_MODE, mode, PERPLEXITY_REG],
    read: (spec) => ({
      selection: SELECTION_MODE.read(spec),
      mode: mode.read(spec),
      lambda: PERPLEXITY_REG.read(spec),
      expertSize: expertWidth(spec.expert),
    }),
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
