/** `routing/tokens`: one row per sampled token × layer — which experts it went to, with which weights. */
import type { LayerRoutingStats } from '../../models/train-types.js';
import type { Row } from '../table-spec.js';
import { UNKNOWN_DOMAIN, UNKNOWN_DOMAIN_NAME, sampledToken, type TokenIndex } from '../token-index.js';
import { componentColumn, layerColumn, modalityColumn, runIdColumn, stepColumn } from './key-columns.js';
import { column, defineTable } from './stats-table.js';

export interface TokenSource {
  readonly runId: string; readonly step: number; readonly layer: number;
  /** Index of the token among the step's routed tokens. */
  readonly t: number;
  readonly stats: LayerRoutingStats;
  readonly idx: TokenIndex;
}

const c = column<TokenSource>;
const picks = (s: TokenSource): [number, number] => [s.t * s.stats.topK, s.t * s.stats.topK + s.stats.topK];
export const tokensTable = defineTable<TokenSource>('routing/tokens', [
  runIdColumn(), stepColumn(), layerColumn(), componentColumn(), modalityColumn(),
  c('token_index', 'int32', 'index of the token among the tokens routed in the step', (s) => s.t),
  c('sequence', 'int32', 'row of the token across the step\'s micro-batches', (s) => s.idx.sequence[s.t]!),
  c('position', 'int32', 'position of the token in its row (0-based)', (s) => s.idx.position[s.t]!),
  c('token_id', 'int32', 'input token id', (s) => s.idx.tokenId[s.t]!),
  c('domain', 'dict', 'data domain of the token', (s) => { const d = s.idx.domain[s.t]!; return d === UNKNOWN_DOMAIN ? UNKNOWN_DOMAIN_NAME : s.idx.domains[d]!; }),
  c('experts', 'list<int16>', 'selected experts in pick order', (s) => s.stats.selected.subarray(...picks(s))),
  c('weights', 'list<float32>', 'gate weights aligned with experts', (s) => s.stats.gates.subarray(...picks(s))),
]);

/** Indices of the tokens of a step that the token table keeps (the same for every layer). */
export function sampledTokens(seed: number, step: number, count: number, rate: number): Int32Array {
  const kept: number[] = [];
  for (let t = 0; t < count; t++) if (sampledToken(seed, step, t, rate)) kept.push(t);
  return Int32Array.from(kept);
}

export function tokenRows(runId: string, step: number, stats: LayerRoutingStats, idx: TokenIndex, sampled: Int32Array): Row[] {
  const rows: Row[] = [];
  for (const t of sampled) {
    if (t >= stats.tokens) throw new Error(`token ${t} sampled but layer ${stats.layer} routed only ${stats.tokens}`);
    rows.push(tokensTable.row({ runId, step, layer: stats.layer, t, stats, idx }));
  }
  return rows;
}
