/**
 * The contract between `pipeline run` and a training driver: what the driver gets from the
 * run (config, where to write, how to report, when to stop). Kept apart from the command so
 * drivers and the command depend on it, not on each other.
 */
import type { PipelineConfig } from '../../config/schema.js';
import type { RunEvent } from '../../events/step-event.js';

/** What the trainer gets from the run: where to write, how to report, when to stop. */
export interface TrainContext {
  readonly config: PipelineConfig;
  readonly runId: string;
  readonly runDir: string;
  /** Continue after this checkpoint step (its directory is `checkpointDir(step)`); undefined for a fresh run. */
  readonly resumeFromStep?: number;
  checkpointDir(step: number): string;
  /**
   * Push an event; AWAIT it: it resolves when the sinks can take more (backpressure). Returns the
   * ms waited (→ next StepTiming.msSinks). Step numbers are 1-based = optimiser steps completed
   * (LmTrainer's StepResult.step is the 0-based index: emit step + 1), so checkpoint N and the
   * rows up to step N describe the same state.
   */
  emit(event: RunEvent): Promise<number>;
  /** Make every statistic emitted so far durable. Call BEFORE writing checkpoint step N, so a resume from N loses nothing. */
  flush(): Promise<void>;
  /** Record the backend that actually started (saved in config.yaml). */
  recordBackend(name: string, reason: string): Promise<void>;
  /** Aborted on Ctrl-C: finish the current step, emit it, and return. */
  readonly signal: AbortSignal;
  /** A line for the user (stderr): what was built, what is slow. */
  log(message: string): void;
}

export type TrainerDriver = (ctx: TrainContext) => Promise<void>;
