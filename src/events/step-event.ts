/**
 * The event plane's vocabulary (ARCHITECTURE.md §1): what the trainer pushes after each
 * step, evaluation and checkpoint. Built from the models side's host data (`StepResult`,
 * `EvalResult`) plus the timing only the training loop can measure.
 */
import type { EvalResult, StepResult, TokenBatch } from '../models/train-types.js';

/** Wall-clock split of one optimiser step, measured by the loop that drives it. */
export interface StepTiming {
  /** Time spent awaiting the data plane for this step's batches. */
  readonly msData: number;
  /** Forward + backward + update (StepResult.msCompute). */
  readonly msCompute: number;
  /** Reading routing statistics back to the host (StepResult.msStats). */
  readonly msStats: number;
  /** Time the loop waited for the sinks after the previous step's event (backpressure). */
  readonly msSinks: number;
}

/** One (file, reason) skip count. */
export interface SkipCount {
  readonly file: string;
  readonly reason: string;
  readonly count: number;
}

/**
 * What the sources had read when this step's data was cut (the flow's position, so an
 * interrupted and resumed run reports the same): always `read = used + skipped`.
 */
export interface DataCounts {
  readonly read: number;
  readonly used: number;
  readonly skipped: number;
  /** Every skip so far, per file and reason (whole run, carried through checkpoints). */
  readonly skips: readonly SkipCount[];
  /** Skips first counted in this step (what the run's `data` table gets). */
  readonly newSkips: readonly SkipCount[];
}

export interface StepEvent {
  readonly kind: 'step';
  readonly runId: string;
  readonly result: StepResult;
  readonly timing: StepTiming;
  /** The micro-batches of this step, in the order their tokens were routed (domain ids, token ids). */
  readonly batches: readonly TokenBatch[];
  /** A vision-language step (its batches are image-text, not token batches): images and the batch's modality. */
  readonly imageText?: { readonly images: number; readonly modality: 'image' | 'text' | 'mixed' };
  /** Steps the run will make in total (for progress and ETA). */
  readonly totalSteps: number;
  /** Milliseconds since the epoch when the step finished. */
  readonly time: number;
  /** Read/used/skipped counts of the data sources (absent for drivers that do not report them). */
  readonly data?: DataCounts;
}

export interface EvalEvent {
  readonly kind: 'eval';
  readonly runId: string;
  readonly step: number;
  readonly result: EvalResult;
  readonly time: number;
}

export interface CheckpointEvent {
  readonly kind: 'checkpoint';
  readonly runId: string;
  readonly step: number;
  readonly dir: string;
  readonly time: number;
}

export type RunEvent = StepEvent | EvalEvent | CheckpointEvent;

/** Total wall time of a step as the loop saw it. */
export function stepWallMs(t: StepTiming): number {
  return t.msData + t.msCompute + t.msStats + t.msSinks;
}

/** Tokens per second over the whole step (data wait and sink wait included: what a user experiences). */
export function tokensPerSecond(ev: StepEvent): number {
  const ms = stepWallMs(ev.timing);
  return ms > 0 ? (ev.result.tokens * 1000) / ms : 0;
}
