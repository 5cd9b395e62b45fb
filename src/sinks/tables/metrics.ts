/** `metrics`: one row per step — losses, learning rate, throughput, timing, data identity. */
import { createHash } from 'node:crypto';
import type { TokenBatch } from '../../models/train-types.js';
import { tokensPerSecond, type StepEvent } from '../../events/step-event.js';
import type { Row } from '../table-spec.js';
import { auxColumns } from './aux-columns.js';
import { runIdColumn, stepColumn } from './key-columns.js';
import { column, defineTable, type StatsTable } from './stats-table.js';

/** A step as the metrics table reads it. */
export interface MetricsSource { readonly runId: string; readonly step: number; readonly ev: StepEvent }

/** The metrics table of a run whose router reports the aux components `auxNames` (fixed at the first step). */
export function metricsTable(auxNames: readonly string[]): StatsTable<MetricsSource> {
  const c = column<MetricsSource>;
  return defineTable<MetricsSource>('metrics', [
    runIdColumn(), stepColumn(),
    c('loss', 'float64', 'training loss (LM cross-entropy) of the step', (s) => s.ev.result.loss),
    c('aux_total', 'float64', 'Σ of the aux losses that entered the objective', (s) => s.ev.result.auxTotal),
    ...auxColumns<MetricsSource>(auxNames, ['aux_total'], (s) => s.ev.result.aux, (n) => `aux component "${n}" summed over layers`),
    c('lr', 'float64', 'learning rate used by the step', (s) => s.ev.result.lr),
    c('grad_norm', 'float64', 'global gradient norm before clipping', (s) => s.ev.result.gradNorm),
    c('tokens', 'int32', 'tokens trained on in the step', (s) => s.ev.result.tokens),
    c('ms_data', 'float32', 'ms waiting for the data plane', (s) => s.ev.timing.msData),
    c('ms_compute', 'float32', 'ms forward + backward + update', (s) => s.ev.timing.msCompute),
    c('ms_stats', 'float32', 'ms reading routing statistics back', (s) => s.ev.timing.msStats),
    c('ms_sinks', 'float32', 'ms waiting for the sinks after the previous step (backpressure)', (s) => s.ev.timing.msSinks),
    c('tokens_per_s', 'float32', 'tokens / (ms_data + ms_compute + ms_stats + ms_sinks)', (s) => tokensPerSecond(s.ev)),
    c('flops', 'float64', 'model FLOPs of the step (forward + backward)', (s) => s.ev.result.flops),
    c('batch_hash', 'int64', 'first 48 bits of SHA-256 over the token ids of the step\'s batches (int32 little-endian): equal hashes = the same data', (s) => batchHash(s.ev.batches)),
    c('time', 'timestamp_ms', 'wall clock at the end of the step (UTC)', (s) => s.ev.time),
  ]);
}

export function metricsRows(table: StatsTable<MetricsSource>, ev: StepEvent): Row[] {
  return [table.row({ runId: ev.runId, step: ev.result.step, ev })];
}

/** Identity of a step's data: resume tests compare it step by step with an uninterrupted run. */
export function batchHash(batches: readonly TokenBatch[]): number {
  const h = createHash('sha256');
  for (const b of batches) h.update(new Uint8Array(b.tokens.buffer, b.tokens.byteOffset, b.tokens.byteLength));
  return h.digest().readUIntBE(0, 6);
}
