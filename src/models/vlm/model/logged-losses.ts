/**
 * The numbers LibMoE's VLM logs every step (libmoe.md §6.2), under its names:
 *   loss, language_loss,
 *   auxiliary_loss_clip, auxiliary_loss_mlp            what enters the loss per component,
 *   <component>_clip (balance_loss_clip, router_z_loss_clip, …)   the tower's routers: per S²
 *        call the mean over layers (a layer's exact 0 skipped unless first, `reportedLoss`),
 *        then the mean over calls,
 *   <component>_mlp  (balance_loss_mlp, router_z_loss_mlp, …)     the projector's router.
 * A dense component logs nothing under its names. The tensors travel to the host in one read.
 */
import { tf, type Scalar, type Tensor1D } from '../../tf.js';
import { reportedLoss } from '../tower/reported-aux.js';
import type { VlmLoss } from './vlm-loss.js';

export interface LoggedLosses {
  /** `loss`: language + every aux total. */
  readonly loss: number;
  /** `language_loss`. */
  readonly languageLoss: number;
  /** Every other logged value by LibMoE's name. */
  readonly aux: Readonly<Record<string, number>>;
}

/** The loss parts as one vector to read back, and how to read the values. */
export interface PackedLosses {
  readonly values: Tensor1D;
  decode(values: Float32Array | ArrayLike<number>): LoggedLosses;
}

export function packLosses(l: VlmLoss): PackedLosses {
  const scalars: Scalar[] = [l.total, l.language];
  const at = (s: Scalar): number => scalars.push(s) - 1;
  const totals = Object.entries(l.auxTotals).map(([k, s]) => [k, at(s)] as const);
  const tower = Object.entries(l.towerComponents).map(([k, calls]) => [k, calls.map((layers) => layers.map(at))] as const);
  const projector = Object.entries(l.projectorComponents).map(([k, s]) => [k, at(s)] as const);
  const values = tf.stack(scalars.map((s) => tf.reshape(s, []))) as Tensor1D;
  return {
    values,
    decode(v) {
      const aux: Record<string, number> = {};
      for (const [k, i] of totals) aux[k] = v[i]!;
      // LibMoE averages the balance loss in float32 (reported-aux.ts).
      for (const [k, calls] of tower) aux[`${k}_clip`] = reportedLoss(calls.map((layers) => layers.map((i) => v[i]!)), k === 'balance_loss');
      for (const [k, i] of projector) aux[`${k}_mlp`] = v[i]!;
      return { loss: v[0]!, languageLoss: v[1]!, aux };
    },
  };
}
