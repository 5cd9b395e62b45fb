/**
 * LibMoE's VLM objective (`llava_phi.py`): loss = CE_LM + aux_mlp + aux_clip, where
 *   CE_LM    = next-token cross-entropy, logits at t against labels at t + 1 (HF's shift), mean
 *              over the positions whose shifted label is not IGNORE_INDEX;
 *   aux_clip = the vision tower's `auxiliary_loss`: mean over S² calls of each call's mean over
 *              encoder layers of each MoE layer's aux_total (TowerForward.auxTotal);
 *   aux_mlp  = the MoE projector's aux_total.
 * An MoE decoder (not LibMoE's VLM, but moeflow's LM can be one) adds its layers' aux_total sum,
 * as the LM trainer does.
 */
import { tf, type Scalar, type Tensor2D } from '../../tf.js';
import { crossEntropy } from '../../lm/cross-entropy.js';
import { embeddingLookup } from '../../lm/embedding.js';
import { IGNORE_INDEX } from '../splice/constants.js';
import type { VlmForward } from './vision-language-model.js';

/** The supervised positions of a spliced batch: logits row and target id, HF's shifted labels. */
export interface ShiftedTargets {
  /** Rows of the [B·L', V] logits that predict a labelled token. */
  readonly rows: Int32Array;
  /** The token each of those rows should predict. */
  readonly targets: Int32Array;
}

/** labels [B, L'] → rows b·L' + t for every t < L' − 1 whose labels[b, t + 1] ≠ IGNORE_INDEX. */
export function shiftedTargets(labels: Int32Array, batchSize: number, seqLen: number): ShiftedTargets {
  const rows: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t + 1 < seqLen; t++) {
      const y = labels[b * seqLen + t + 1]!;
      if (y === IGNORE_INDEX) continue;
      rows.push(b * seqLen + t);
      targets.push(y);
    }
  }
  return { rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

/**
 * The objective's parts as tensors, so a step reads them back in one batch. `components`
 * holds what LibMoE logs besides the total (see `loggedAux`).
 */
export interface VlmLoss {
  /** What is differentiated: language + Σ aux. */
  readonly total: Scalar;
  /** `language_loss`: the CE (0 when no position is supervised). */
  readonly language: Scalar;
  /** `auxiliary_loss_clip` (MoE tower), `auxiliary_loss_mlp` (MoE projector), `auxiliary_loss_lm` (MoE decoder). */
  readonly auxTotals: Readonly<Record<string, Scalar>>;
  /** Per component of the tower's routers (balance_loss, router_z_loss, …): per S² call, per layer. */
  readonly towerComponents: Readonly<Record<string, readonly (readonly Scalar[])[]>>;
  /** Per component of the projector's router. */
  readonly projectorComponents: Readonly<Record<string, Scalar>>;
  /** Supervised positions (the CE's denominator). */
  readonly targetTokens: number;
}

export function vlmLoss(fwd: VlmForward): VlmLoss {
  const { plan } = fwd;
  const labels = plan.labels;
  if (labels === null) throw new Error('VLM loss: the batch has no labels');
  const { rows, targets } = shiftedTargets(labels, plan.batchSize, plan.seqLen);
  // LibMoE's CE over zero targets is NaN (mean of nothing); a batch with nothing to learn contributes 0.
  const language = rows.length === 0
    ? (tf.mul(tf.sum(fwd.logits), 0) as Scalar)
    : crossEntropy(embeddingLookup(fwd.logits, tf.tensor1d(rows, 'int32')) as Tensor2D, tf.tensor1d(targets, 'int32'));
  const auxTotals: Record<string, Scalar> = {};
  if (fwd.tower?.auxTotal) auxTotals['auxiliary_loss_clip'] = fwd.tower.auxTotal;
  if (fwd.projector) auxTotals['auxiliary_loss_mlp'] = fwd.projector.auxTotal;
  if (fwd.languageModel.length > 0) auxTotals['auxiliary_loss_lm'] = tf.addN(fwd.languageModel.map((m) => m.out.auxTotal)) as Scalar;
  const aux = Object.values(auxTotals);
  const total = aux.length === 0 ? language : (tf.addN([language, ...aux]) as Scalar);

  const towerComponents: Record<string, Scalar[][]> = {};
  fwd.tower?.calls.forEach((call, c) => {
    call.moe.forEach((m, layer) => {
      for (const [k, v] of Object.entries(m.aux)) {
        if (k !== 'aux_total') ((towerComponents[k] ??= [])[c] ??= [])[layer] = v;
      }
    });
  });
  const projectorComponents: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(fwd.projector?.aux ?? {})) {
    if (k !== 'aux_total' && !k.startsWith('reported_')) projectorComponents[k] = v;
  }
  return { total, language, auxTotals, towerComponents, projectorComponents, targetTokens: rows.length };
}
