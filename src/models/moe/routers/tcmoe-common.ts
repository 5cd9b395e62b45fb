import { tf, type Tensor2D } from '../../tf.js';
import { gatherSlots } from '../../kernels/slot-gather.js';
import { numberOption } from '../options.js';
import type { MoeLayerSpec } from '../types.js';
import { pickTopK } from './common.js';

/**
 * TC-MoE's ternary slots (golden README §5.6/5.21): J = 2E + K router outputs; j < E is
 * "+expert j", E ≤ j < 2E is "−expert (j−E)" (same weights, negated output), j ≥ 2E are K
 * null slots. Logits are offset by o = 0 / 1 / 10 before the softmax.
 */
export interface TernaryRouting {
  readonly k: number;
  readonly idx: Int32Array;
  /** [N·K] bank expert or −1 for null slots (they compute nothing). */
  readonly expertOf: Int32Array;
  readonly signs: Float32Array;
  readonly baseExperts: Int32Array;
  readonly biased: Tensor2D;
  readonly probs: Tensor2D;
  /** [N, K] unsigned weights p_idx / den. */
  readonly w: Tensor2D;
  readonly signed: Tensor2D;
}

const NEGATIVE_SLOT_OFFSET = numberOption('negative_slot_offset', 1, 'logit offset o subtracted from the −expert slots');
const NULL_SLOT_OFFSET = numberOption('null_slot_offset', 10, 'logit offset o subtracted from the null slots');
export const REWARD_FACTOR = numberOption('reward_factor', 1e-5, 'weight of the null-slot reward');
/** The options every TC-MoE layer reads (ternary slots and the null reward). */
export const TCMOE_OPTIONS = [NEGATIVE_SLOT_OFFSET, NULL_SLOT_OFFSET, REWARD_FACTOR] as const;

export function tcSlots(spec: MoeLayerSpec): number {
  return 2 * spec.nExperts + spec.topK;
}

/** `minDen` is the VLM's clamp of the denominator (1e-6); the LM version has none. */
export function ternaryRoute(spec: MoeLayerSpec, logits: Tensor2D, minDen: number | undefined): TernaryRouting {
  const e = spec.nExperts;
  const k = spec.topK;
  const j = tcSlots(spec);
  const n = logits.shape[0];
  const negOff = NEGATIVE_SLOT_OFFSET.read(spec);
  const nullOff = NULL_SLOT_OFFSET.read(spec);
  const offsets = Float32Array.from({ length: j }, (_, i) => (i < e ? 0 : i < 2 * e ? negOff : nullOff));
  const biased = tf.sub(logits, tf.tensor1d(offsets)) as Tensor2D;
  const probs = tf.softmax(biased);
  const { idx, v } = pickTopK(probs, k);
  const realIdx = Int32Array.from(idx, (i) => (i < 2 * e ? i : -1));
  const realMass = tf.sum(gatherSlots(probs, realIdx, k), 1, true);
  const nullMass = tf.sum(tf.slice(probs, [0, 2 * e], [n, j - 2 * e]), 1, true);
  let den = tf.add(tf.add(realMass, nullMass), 1e-20);
  if (minDen !== undefined) den = tf.maximum(den, minDen);
  const w = tf.div(v, den) as Tensor2D;
  const signs = Float32Array.from(idx, (i) => (i < e ? 1 : i < 2 * e ? -1 : 0));
  const signed = tf.mul(w, tf.tensor2d(signs, [n, k])) as Tensor2D;
  return {
    k, idx, signs, biased, probs, w, signed,
    expertOf: Int32Array.from(idx, (i) => (i < 2 * e ? i % e : -1)),
    baseExperts: Int32Array.from(idx, (i) => i % e),
  };
}
