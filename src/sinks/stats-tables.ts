/**
 * The statistics tables of a run (ARCHITECTURE.md §4): their columns, and how one step's
 * host data becomes rows. Every table starts with run_id and step.
 */
import { createHash } from 'node:crypto';
import type { EvalResult, LayerRoutingStats, TokenBatch } from '../models/train-types.js';
import type { EvalEvent, StepEvent } from '../events/step-event.js';
import { tokensPerSecond } from '../events/step-event.js';
import { summariseLayer } from './routing-metrics.js';
import { UNKNOWN_DOMAIN, UNKNOWN_DOMAIN_NAME, sampledToken, type TokenIndex } from './token-index.js';
import type { ColumnDef, Row, TableSpec } from './table-spec.js';

/** Column of an aux component: `aux_<name>` (a name that already starts with `aux_` keeps it: `aux_total`). */
export function auxColumn(name: string): string {
  return name.startsWith('aux_') ? name : `aux_${name}`;
}

/** Aux names whose columns do not collide with the table's fixed columns (metrics has its own aux_total). */
function auxColumns(auxNames: readonly string[], fixed: readonly string[]): string[] {
  return [...new Set(auxNames.filter((n) => !fixed.includes(auxColumn(n))))];
}

const RUN: ColumnDef = { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' };
const STEP: ColumnDef = { name: 'step', type: 'int32', doc: 'optimiser steps completed when the row was produced (1-based; an eval or checkpoint at step N follows step N)' };
const LAYER: ColumnDef = { name: 'layer', type: 'int16', doc: 'transformer block index of the MoE layer' };
const EXPERT: ColumnDef = { name: 'expert', type: 'int16', doc: 'expert index within the layer' };

export const EXPERTS: TableSpec = {
  path: 'routing/experts',
  columns: [
    RUN, STEP, LAYER, EXPERT,
    { name: 'token_slots', type: 'int32', doc: 'token-slots routed to the expert (all K picks of every token)' },
    { name: 'top1_count', type: 'int32', doc: 'tokens whose first pick is the expert' },
    { name: 'prob_mass', type: 'float32', doc: 'Σ over tokens of the router probability of the expert' },
    { name: 'gate_mass', type: 'float32', doc: 'Σ over tokens of the gate weight given to the expert' },
    { name: 'bias', type: 'float32', doc: 'routing bias after the step (DeepSeek aux-free); NaN when the router has none' },
  ],
};

/** Layer table columns; `auxNames` become `aux_<name>` columns (the layer's own aux losses). */
export function layersSpec(auxNames: readonly string[]): TableSpec {
  return {
    path: 'routing/layers',
    columns: [
      RUN, STEP, LAYER,
      { name: 'n_experts', type: 'int16', doc: 'E routed experts' },
      { name: 'top_k', type: 'int16', doc: 'K the step selected per token (Hyper-R: dynamic K; smoe_share/v3: K−1 routed)' },
      { name: 'tokens', type: 'int32', doc: 'tokens routed in the step' },
      { name: 'entropy_topk', type: 'float32', doc: 'mean over tokens of the entropy of the renormalised top-k weights / log K (0..1; NaN for K = 1)' },
      { name: 'entropy_full', type: 'float32', doc: 'mean over tokens of the entropy of the full router distribution (nats)' },
      { name: 'margin', type: 'float32', doc: 'mean over tokens of top-1 weight − top-2 weight' },
      { name: 'maxvio', type: 'float32', doc: 'max_e load_e / mean load − 1 over token-slots (0 = balanced)' },
      { name: 'dead_experts', type: 'int16', doc: 'experts with 0 token-slots in the step' },
      { name: 'usage_perplexity', type: 'float32', doc: 'exp(H(u))/E, u = token-slot share per expert (1 = uniform)' },
      { name: 'overlap_prev', type: 'float32', doc: 'mean over tokens of |S_l ∩ S_prev| / K, S = selected experts, prev = previous MoE layer (NaN for the first)' },
      { name: 'dropped_slots', type: 'int32', doc: 'token-slots dropped by a capacity factor (0 when dropless)' },
      ...auxColumns(auxNames, []).map((n): ColumnDef => ({ name: auxColumn(n), type: 'float64', doc: `aux loss component "${n}" of this layer, as reported by the router (NaN when absent)` })),
    ],
  };
}

export const DOMAINS: TableSpec = {
  path: 'routing/domains',
  columns: [
    RUN, STEP, LAYER, EXPERT,
    { name: 'domain', type: 'dict', doc: 'data domain of the tokens (SlimPajama redpajama_set_name; "unknown" without domain ids)' },
    { name: 'token_slots', type: 'int32', doc: 'token-slots of this domain routed to the expert (rows with 0 are omitted)' },
    { name: 'domain_tokens', type: 'int32', doc: 'tokens of this domain in the step (so token_slots / (domain_tokens·K) = share of the domain routed to the expert)' },
  ],
};

export const TOKENS: TableSpec = {
  path: 'routing/tokens',
  columns: [
    RUN, STEP, LAYER,
    { name: 'token_index', type: 'int32', doc: 'index of the token among the tokens routed in the step' },
    { name: 'sequence', type: 'int32', doc: 'row of the token across the step\'s micro-batches' },
    { name: 'position', type: 'int32', doc: 'position of the token in its row (0-based)' },
    { name: 'token_id', type: 'int32', doc: 'input token id' },
    { name: 'domain', type: 'dict', doc: 'data domain of the token' },
    { name: 'experts', type: 'list<int16>', doc: 'selected experts in pick order' },
    { name: 'weights', type: 'list<float32>', doc: 'gate weights aligned with experts' },
  ],
};

export function metricsSpec(auxNames: readonly string[]): TableSpec {
  return {
    path: 'metrics',
    columns: [
      RUN, STEP,
      { name: 'loss', type: 'float64', doc: 'training loss (LM cross-entropy) of the step' },
      { name: 'aux_total', type: 'float64', doc: 'Σ of the aux losses that entered the objective' },
      ...auxColumns(auxNames, ['aux_total']).map((n): ColumnDef => ({ name: auxColumn(n), type: 'float64', doc: `aux component "${n}" summed over layers` })),
      { name: 'lr', type: 'float64', doc: 'learning rate used by the step' },
      { name: 'grad_norm', type: 'float64', doc: 'global gradient norm before clipping' },
      { name: 'tokens', type: 'int32', doc: 'tokens trained on in the step' },
      { name: 'ms_data', type: 'float32', doc: 'ms waiting for the data plane' },
      { name: 'ms_compute', type: 'float32', doc: 'ms forward + backward + update' },
      { name: 'ms_stats', type: 'float32', doc: 'ms reading routing statistics back' },
      { name: 'ms_sinks', type: 'float32', doc: 'ms waiting for the sinks after the previous step (backpressure)' },
      { name: 'tokens_per_s', type: 'float32', doc: 'tokens / (ms_data + ms_compute + ms_stats + ms_sinks)' },
      { name: 'flops', type: 'float64', doc: 'model FLOPs of the step (forward + backward)' },
      { name: 'batch_hash', type: 'int64', doc: 'first 48 bits of SHA-256 over the token ids of the step\'s batches (int32 little-endian): equal hashes = the same data' },
      { name: 'time', type: 'timestamp_ms', doc: 'wall clock at the end of the step (UTC)' },
    ],
  };
}

export const EVAL: TableSpec = {
  path: 'eval',
  columns: [
    RUN, STEP,
    { name: 'loss', type: 'float64', doc: 'held-out cross-entropy' },
    { name: 'perplexity', type: 'float64', doc: 'exp(loss)' },
    { name: 'accuracy', type: 'float64', doc: 'next-token top-1 accuracy' },
    { name: 'tokens', type: 'int32', doc: 'held-out tokens evaluated' },
    { name: 'time', type: 'timestamp_ms', doc: 'wall clock when the evaluation finished (UTC)' },
  ],
};

export function expertRows(runId: string, step: number, s: LayerRoutingStats): Row[] {
  const rows: Row[] = [];
  for (let e = 0; e < s.nExperts; e++) {
    rows.push({
      run_id: runId, step, layer: s.layer, expert: e,
      token_slots: s.tokenSlots[e]!, top1_count: s.top1Count[e]!, prob_mass: s.probMass[e]!, gate_mass: s.gateMass[e]!,
      bias: s.bias ? s.bias[e]! : NaN,
    });
  }
  return rows;
}

export function layerRow(runId: string, step: number, s: LayerRoutingStats, prev: LayerRoutingStats | undefined, auxNames: readonly string[]): Row {
  const m = summariseLayer(s, prev);
  const row: Record<string, number | string> = {
    run_id: runId, step, layer: s.layer, n_experts: s.nExperts, top_k: s.topK, tokens: s.tokens,
    entropy_topk: m.entropyTopKNorm, entropy_full: m.entropyFull, margin: m.margin, maxvio: m.maxVio,
    dead_experts: m.deadExperts, usage_perplexity: m.usagePerplexity, overlap_prev: m.overlapPrev, dropped_slots: s.droppedSlots,
  };
  for (const n of auxNames) row[auxColumn(n)] = s.aux[n] ?? NaN;
  return row;
}

/** Token-slots per (expert, domain) of one layer, from its selections and the step's token index. */
export function domainRows(runId: string, step: number, s: LayerRoutingStats, idx: TokenIndex): Row[] {
  if (idx.count !== s.tokens) throw new Error(`layer ${s.layer} routed ${s.tokens} tokens but the step's batches hold ${idx.count}`);
  const nd = idx.domains.length + 1; // + unknown
  const slot = (d: number): number => (d === UNKNOWN_DOMAIN ? nd - 1 : d);
  const counts = new Int32Array(s.nExperts * nd);
  const perDomain = new Int32Array(nd);
  const k = s.topK;
  for (let t = 0; t < s.tokens; t++) {
    const d = slot(idx.domain[t]!);
    perDomain[d]!++;
    for (let i = 0; i < k; i++) {
      const e = s.selected[t * k + i]!;
      if (e >= 0 && e < s.nExperts) counts[e * nd + d]!++;
    }
  }
  const rows: Row[] = [];
  for (let e = 0; e < s.nExperts; e++) {
    for (let d = 0; d < nd; d++) {
      const c = counts[e * nd + d]!;
      if (c === 0) continue;
      rows.push({ run_id: runId, step, layer: s.layer, expert: e, domain: d === nd - 1 ? UNKNOWN_DOMAIN_NAME : idx.domains[d]!, token_slots: c, domain_tokens: perDomain[d]! });
    }
  }
  return rows;
}

/** Indices of the tokens of a step that the token table keeps (the same for every layer). */
export function sampledTokens(seed: number, step: number, count: number, rate: number): Int32Array {
  const kept: number[] = [];
  for (let t = 0; t < count; t++) if (sampledToken(seed, step, t, rate)) kept.push(t);
  return Int32Array.from(kept);
}

export function tokenRows(runId: string, step: number, s: LayerRoutingStats, idx: TokenIndex, sampled: Int32Array): Row[] {
  const rows: Row[] = [];
  const k = s.topK;
  for (const t of sampled) {
    if (t >= s.tokens) throw new Error(`token ${t} sampled but layer ${s.layer} routed only ${s.tokens}`);
    const d = idx.domain[t]!;
    rows.push({
      run_id: runId, step, layer: s.layer, token_index: t, sequence: idx.sequence[t]!, position: idx.position[t]!, token_id: idx.tokenId[t]!,
      domain: d === UNKNOWN_DOMAIN ? UNKNOWN_DOMAIN_NAME : idx.domains[d]!,
      experts: s.selected.subarray(t * k, t * k + k), weights: s.gates.subarray(t * k, t * k + k),
    });
  }
  return rows;
}

export function metricRow(ev: StepEvent, auxNames: readonly string[]): Row {
  const r = ev.result;
  const row: Record<string, number | string> = {
    run_id: ev.runId, step: r.step, loss: r.loss, aux_total: r.auxTotal, lr: r.lr, grad_norm: r.gradNorm, tokens: r.tokens,
    ms_data: ev.timing.msData, ms_compute: ev.timing.msCompute, ms_stats: ev.timing.msStats, ms_sinks: ev.timing.msSinks,
    tokens_per_s: tokensPerSecond(ev), flops: r.flops, batch_hash: batchHash(ev.batches), time: ev.time,
  };
  for (const n of auxNames) if (auxColumn(n) !== 'aux_total') row[auxColumn(n)] = r.aux[n] ?? NaN;
  return row;
}

export function evalRow(ev: EvalEvent): Row {
  const r: EvalResult = ev.result;
  return { run_id: ev.runId, step: ev.step, loss: r.loss, perplexity: r.perplexity, accuracy: r.accuracy, tokens: r.tokens, time: ev.time };
}

/** Identity of a step's data: resume tests compare it step by step with an uninterrupted run. */
export function batchHash(batches: readonly TokenBatch[]): number {
  const h = createHash('sha256');
  for (const b of batches) h.update(new Uint8Array(b.tokens.buffer, b.tokens.byteOffset, b.tokens.byteLength));
  return h.digest().readUIntBE(0, 6);
}
