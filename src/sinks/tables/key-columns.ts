/** The key columns the statistics tables share: every table starts with run_id and step. */
import type { LayerRoutingStats } from '../../models/train-types.js';
import { column, type StatsColumn } from './stats-table.js';

export interface StepKey { readonly runId: string; readonly step: number }

export function runIdColumn<S extends StepKey>(): StatsColumn<S> {
  return column('run_id', 'dict', 'run identifier (directory name under runs/)', (s) => s.runId);
}

export function stepColumn<S extends StepKey>(): StatsColumn<S> {
  return column('step', 'int32', 'optimiser steps completed when the row was produced (1-based; an eval or checkpoint at step N follows step N)', (s) => s.step);
}

export function layerColumn<S extends { readonly layer: number }>(): StatsColumn<S> {
  return column('layer', 'int16', 'index of the MoE layer: the transformer block in a language-model run; in a VLM run one index per component in the order vision layers, projector, decoder MoE blocks (see component)', (s) => s.layer);
}

export function expertColumn<S extends { readonly expert: number }>(): StatsColumn<S> {
  return column('expert', 'int16', 'expert index within the layer', (s) => s.expert);
}

/** What the routing tables read a layer's component and modality from. */
export interface RoutedLayer { readonly stats: Pick<LayerRoutingStats, 'layer' | 'component' | 'modality'> }

/** A language model's block is "lm layer <layer>"; a VLM names each of its components. */
export function componentOf(s: Pick<LayerRoutingStats, 'layer' | 'component'>): string {
  return s.component ?? `lm layer ${s.layer}`;
}

export function componentColumn<S extends RoutedLayer>(): StatsColumn<S> {
  return column('component', 'dict', 'the part of the model that routes: "lm layer i" (decoder block i), and in a VLM run "vision layer i" (encoder layer i) and "projector"', (s) => componentOf(s.stats));
}

export function modalityColumn<S extends RoutedLayer>(): StatsColumn<S> {
  return column('modality', 'dict', 'the tokens the row counts: "image" (tower patches, projector rows, a VLM decoder block\'s image-feature rows) or "text" (every language-model token; a VLM decoder block\'s text rows, padding in neither)', (s) => s.stats.modality ?? 'text');
}
