/** Learning-rate schedule: linear warm-up, then cosine decay to `minLrMultiplier · lr` (LibMoE `lr_sched.type cos`). */
export interface LrSchedule {
  readonly lr: number;
  /** Steps of linear warm-up (0 = none). LibMoE: 0 at 154M, 4000 at 660M. */
  readonly warmupSteps: number;
  /** Step at which the cosine reaches its floor (LibMoE: `stop_after`). */
  readonly totalSteps: number;
  /** Floor as a fraction of lr (LibMoE `min_lr_multiplier` 0.1). */
  readonly minLrMultiplier: number;
}

/** lr for optimiser step `step` (0-based: the first update uses step 0). */
export function lrAt(s: LrSchedule, step: number): number {
  // (step + 1) so the first warm-up update is not wasted at lr = 0.
  const warm = s.warmupSteps > 0 ? Math.min(1, (step + 1) / s.warmupSteps) : 1;
  const progress = Math.min(1, Math.max(0, step / Math.max(1, s.totalSteps)));
  const cosine = s.minLrMultiplier + (1 - s.minLrMultiplier) * 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.lr * warm * cosine;
}
