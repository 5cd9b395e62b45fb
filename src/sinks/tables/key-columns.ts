/** The key columns the statistics tables share: every table starts with run_id and step. */
import { column, type StatsColumn } from './stats-table.js';

export interface StepKey { readonly runId: string; readonly step: number }

export function runIdColumn<S extends StepKey>(): StatsColumn<S> {
  return column('run_id', 'dict', 'run identifier (directory name under runs/)', (s) => s.runId);
}

export function stepColumn<S extends StepKey>(): StatsColumn<S> {
  return column('step', 'int32', 'optimiser steps completed when the row was produced (1-based; an eval or checkpoint at step N follows step N)', (s) => s.step);
}

export function layerColumn<S extends { readonly layer: number }>(): StatsColumn<S> {
  return column('layer', 'int16', 'transformer block index of the MoE layer', (s) => s.layer);
}

export function expertColumn<S extends { readonly expert: number }>(): StatsColumn<S> {
  return column('expert', 'int16', 'expert index within the layer', (s) => s.expert);
}
