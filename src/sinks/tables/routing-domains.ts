/** `routing/domains`: one row per step × layer × expert × data domain with at least one token-slot. */
import type { LayerRoutingStats } from '../../models/train-types.js';
import type { Row } from '../table-spec.js';
import { UNKNOWN_DOMAIN, UNKNOWN_DOMAIN_NAME, type TokenIndex } from '../token-index.js';
import { componentColumn, expertColumn, layerColumn, modalityColumn, runIdColumn, stepColumn } from './key-columns.js';
import { column, defineTable } from './stats-table.js';

export interface DomainSource {
  readonly runId: string; readonly step: number; readonly layer: number; readonly expert: number;
  readonly domain: string; readonly slots: number; readonly domainTokens: number;
  readonly stats: LayerRoutingStats;
}

const c = column<DomainSource>;
export const domainsTable = defineTable<DomainSource>('routing/domains', [
  runIdColumn(), stepColumn(), layerColumn(), componentColumn(), modalityColumn(), expertColumn(),
  c('domain', 'dict', 'data domain of the tokens (SlimPajama redpajama_set_name; "unknown" without domain ids)', (s) => s.domain),
  c('token_slots', 'int32', 'token-slots of this domain routed to the expert (rows with 0 are omitted)', (s) => s.slots),
  c('domain_tokens', 'int32', 'tokens of this domain in the step (so token_slots / (domain_tokens·K) = share of the domain routed to the expert)', (s) => s.domainTokens),
]);

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
      const slots = counts[e * nd + d]!;
      if (slots === 0) continue;
      const domain = d === nd - 1 ? UNKNOWN_DOMAIN_NAME : idx.domains[d]!;
      rows.push(domainsTable.row({ runId, step, layer: s.layer, expert: e, domain, slots, domainTokens: perDomain[d]!, stats: s }));
    }
  }
  return rows;
}
