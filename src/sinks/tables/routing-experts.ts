/** `routing/experts`: one row per step × layer × expert — load and probability mass. */
import type { LayerRoutingStats } from '../../models/train-types.js';
import type { Row } from '../table-spec.js';
import { componentColumn, expertColumn, layerColumn, modalityColumn, runIdColumn, stepColumn } from './key-columns.js';
import { column, defineTable } from './stats-table.js';

export interface ExpertSource { readonly runId: string; readonly step: number; readonly layer: number; readonly expert: number; readonly stats: LayerRoutingStats }

const c = column<ExpertSource>;
export const expertsTable = defineTable<ExpertSource>('routing/experts', [
  runIdColumn(), stepColumn(), layerColumn(), componentColumn(), modalityColumn(), expertColumn(),
  c('token_slots', 'int32', 'token-slots routed to the expert (all K picks of every token)', (s) => s.stats.tokenSlots[s.expert]!),
  c('top1_count', 'int32', 'tokens whose first pick is the expert', (s) => s.stats.top1Count[s.expert]!),
  c('prob_mass', 'float32', 'Σ over tokens of the router probability of the expert', (s) => s.stats.probMass[s.expert]!),
  c('gate_mass', 'float32', 'Σ over tokens of the gate weight given to the expert', (s) => s.stats.gateMass[s.expert]!),
  c('bias', 'float32', 'routing bias after the step (DeepSeek aux-free); NaN when the router has none', (s) => (s.stats.bias ? s.stats.bias[s.expert]! : NaN)),
]);

export function expertRows(runId: string, step: number, stats: LayerRoutingStats): Row[] {
  return Array.from({ length: stats.nExperts }, (_, expert) => expertsTable.row({ runId, step, layer: stats.layer, expert, stats }));
}
