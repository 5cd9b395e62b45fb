/** `routing/layers`: one row per step × layer — entropies, margin, balance, overlap, the layer's aux losses. */
import type { LayerRoutingStats } from '../../models/train-types.js';
import { summariseLayer } from '../routing-metrics.js';
import type { Row } from '../table-spec.js';
import { auxColumns } from './aux-columns.js';
import { componentColumn, layerColumn, modalityColumn, runIdColumn, stepColumn } from './key-columns.js';
import { column, defineTable, type StatsTable } from './stats-table.js';

export interface LayerSource {
  readonly runId: string; readonly step: number; readonly layer: number;
  readonly stats: LayerRoutingStats;
  readonly summary: ReturnType<typeof summariseLayer>;
}

/** The layers table of a run whose routers report the aux components `auxNames` (fixed at the first step). */
export function layersTable(auxNames: readonly string[]): StatsTable<LayerSource> {
  const c = column<LayerSource>;
  return defineTable<LayerSource>('routing/layers', [
    runIdColumn(), stepColumn(), layerColumn(), componentColumn(), modalityColumn(),
    c('n_experts', 'int16', 'E routed experts', (s) => s.stats.nExperts),
    c('top_k', 'int16', 'K the step selected per token (Hyper-R: dynamic K; smoe_share/v3: K−1 routed)', (s) => s.stats.topK),
    c('tokens', 'int32', 'tokens routed in the step', (s) => s.stats.tokens),
    c('entropy_topk', 'float32', 'mean over tokens of the entropy of the renormalised top-k weights / log K (0..1; NaN for K = 1)', (s) => s.summary.entropyTopKNorm),
    c('entropy_full', 'float32', 'mean over tokens of the entropy of the full router distribution (nats)', (s) => s.summary.entropyFull),
    c('margin', 'float32', 'mean over tokens of top-1 weight − top-2 weight', (s) => s.summary.margin),
    c('maxvio', 'float32', 'max_e load_e / mean load − 1 over token-slots (0 = balanced)', (s) => s.summary.maxVio),
    c('dead_experts', 'int16', 'experts with 0 token-slots in the step', (s) => s.summary.deadExperts),
    c('usage_perplexity', 'float32', 'exp(H(u))/E, u = token-slot share per expert (1 = uniform)', (s) => s.summary.usagePerplexity),
    c('overlap_prev', 'float32', 'mean over tokens of |S_l ∩ S_prev| / K, S = selected experts, prev = previous MoE layer of the same kind and modality (NaN for the first, and for the projector)', (s) => s.summary.overlapPrev),
    c('dropped_slots', 'int32', 'token-slots dropped by a capacity factor (0 when dropless)', (s) => s.stats.droppedSlots),
    ...auxColumns<LayerSource>(auxNames, [], (s) => s.stats.aux, (n) => `aux loss component "${n}" of this layer, as reported by the router (NaN when absent; a VLM decoder block's image and text rows both carry the layer's loss over all its tokens)`),
  ]);
}

/** The row of one layer; `prev` is the previous MoE layer of the same step (for overlap_prev). */
export function layerRows(table: StatsTable<LayerSource>, runId: string, step: number, stats: LayerRoutingStats, prev: LayerRoutingStats | undefined): Row[] {
  return [table.row({ runId, step, layer: stats.layer, stats, summary: summariseLayer(stats, prev) })];
}
