/**
 * Checkpoint dynamics (libmoe.md §6.4): for one layer's routes at successive checkpoints, how
 * much routing changes from each checkpoint to the next, and how close each checkpoint already
 * is to the final one (saturation, LibMoE's `read_file_large_saturation.py`: position match
 * against the last checkpoint).
 */
import { overlapFraction, positionMatch, switchFraction } from './selection-change.js';
import type { Routes } from './routes.js';

export interface CheckpointRoutes {
  readonly step: number;
  readonly routes: Routes;
}

/** From checkpoint `fromStep` to the next one, `step`. */
export interface CheckpointChange {
  readonly fromStep: number;
  readonly step: number;
  readonly switchFraction: number;
  readonly overlapFraction: number;
  readonly positionMatch: number;
}

export interface CheckpointSaturation {
  readonly step: number;
  readonly finalStep: number;
  /** Position match against the final checkpoint's routes: 1 at the final checkpoint itself. */
  readonly saturation: number;
  /** The order-free variant (overlap fraction), as the LM scripts measure it (top-K sets). */
  readonly overlapSaturation: number;
}

/** Checkpoints are taken in step order, whatever order they are given in. */
export function checkpointChanges(series: readonly CheckpointRoutes[]): CheckpointChange[] {
  const sorted = byStep(series);
  return sorted.slice(1).map((cur, i) => {
    const prev = sorted[i]!;
    return {
      fromStep: prev.step, step: cur.step,
      switchFraction: switchFraction(prev.routes, cur.routes),
      overlapFraction: overlapFraction(prev.routes, cur.routes),
      positionMatch: positionMatch(prev.routes, cur.routes),
    };
  });
}

export function saturation(series: readonly CheckpointRoutes[]): CheckpointSaturation[] {
  const sorted = byStep(series);
  const last = sorted[sorted.length - 1];
  if (!last) return [];
  return sorted.map((c) => ({
    step: c.step, finalStep: last.step,
    saturation: positionMatch(c.routes, last.routes),
    overlapSaturation: overlapFraction(c.routes, last.routes),
  }));
}

function byStep(series: readonly CheckpointRoutes[]): CheckpointRoutes[] {
  const sorted = [...series].sort((a, b) => a.step - b.step);
  sorted.forEach((c, i) => { if (i > 0 && sorted[i - 1]!.step === c.step) throw new Error(`checkpoint step ${c.step} appears twice`); });
  return sorted;
}
