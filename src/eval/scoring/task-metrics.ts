/**
 * Per-item results → the metric rows of one task, as each protocol reports them.
 *
 * LibMoE (protocol 'libmoe'): `accuracy` per group, its mean over groups (`group_average`, the
 * number LibMoE's paper table uses) and the pooled `seq_average`; LAMBADA `accuracy` (group
 * `total`) and `perplexity` = exp(−Σ last-word log-prob / Σ last-word tokens).
 * lm-evaluation-harness (protocol 'lm-eval-harness'): `acc` and `acc_norm` per group and pooled
 * (group `all`); LAMBADA `acc` (every greedy token right) and `perplexity` = exp(−mean item loglik).
 * Bookkeeping (protocol 'moeflow'): `truncated` items (context cut to fit the window).
 */
import type { ChoiceResult, ItemResult, LastWordResult } from './results.js';

/** Whose definition a metric follows; the VLM tasks (src/eval/vlm) add lmms-eval's and LLaVA's own scripts'. */
export type Protocol = 'libmoe' | 'lm-eval-harness' | 'lmms-eval' | 'llava' | 'moeflow';

export interface MetricRow {
  readonly group: string;
  readonly protocol: Protocol;
  readonly metric: string;
  readonly value: number;
  /** Items behind the value (for group_average: all items of all groups). */
  readonly n: number;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function rate(rs: readonly ItemResult[], ok: (r: ItemResult) => boolean): number {
  return rs.length === 0 ? NaN : rs.filter(ok).length / rs.length;
}

/** Groups in order of first appearance (file order), so tables read like the data. */
function byGroup<T extends ItemResult>(rs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rs) {
    const g = m.get(r.group);
    if (g) g.push(r);
    else m.set(r.group, [r]);
  }
  return m;
}

export function taskMetrics(results: readonly ItemResult[]): MetricRow[] {
  const choice = results.filter((r): r is ChoiceResult => r.kind === 'choice');
  const lastWord = results.filter((r): r is LastWordResult => r.kind === 'last-word');
  const rows: MetricRow[] = [...choiceMetrics(choice), ...lastWordMetrics(lastWord)];
  rows.push({ group: 'all', protocol: 'moeflow', metric: 'truncated', value: results.filter((r) => r.truncated).length, n: results.length });
  return rows;
}

function choiceMetrics(rs: readonly ChoiceResult[]): MetricRow[] {
  if (rs.length === 0) return [];
  const rows: MetricRow[] = [];
  const groups = byGroup(rs);
  const groupAcc: number[] = [];
  for (const [g, items] of groups) {
    const acc = rate(items, (r) => (r as ChoiceResult).correct);
    groupAcc.push(acc);
    rows.push({ group: g, protocol: 'libmoe', metric: 'accuracy', value: acc, n: items.length });
  }
  rows.push({ group: 'group_average', protocol: 'libmoe', metric: 'accuracy', value: mean(groupAcc), n: rs.length });
  rows.push({ group: 'seq_average', protocol: 'libmoe', metric: 'accuracy', value: rate(rs, (r) => (r as ChoiceResult).correct), n: rs.length });
  for (const [g, items] of [...groups, ['all', rs] as const]) {
    rows.push({ group: g, protocol: 'lm-eval-harness', metric: 'acc', value: rate(items, (r) => (r as ChoiceResult).acc), n: items.length });
    rows.push({ group: g, protocol: 'lm-eval-harness', metric: 'acc_norm', value: rate(items, (r) => (r as ChoiceResult).accNorm), n: items.length });
  }
  return rows;
}

function lastWordMetrics(rs: readonly LastWordResult[]): MetricRow[] {
  if (rs.length === 0) return [];
  const tokens = rs.reduce((a, r) => a + r.tokens, 0);
  const loglik = rs.reduce((a, r) => a + r.loglik, 0);
  return [
    { group: 'total', protocol: 'libmoe', metric: 'accuracy', value: rate(rs, (r) => (r as LastWordResult).correct), n: rs.length },
    { group: 'total', protocol: 'libmoe', metric: 'perplexity', value: Math.exp(-loglik / tokens), n: rs.length },
    { group: 'all', protocol: 'lm-eval-harness', metric: 'acc', value: rate(rs, (r) => (r as LastWordResult).greedyTokens), n: rs.length },
    { group: 'all', protocol: 'lm-eval-harness', metric: 'perplexity', value: Math.exp(-loglik / rs.length), n: rs.length },
  ];
}
