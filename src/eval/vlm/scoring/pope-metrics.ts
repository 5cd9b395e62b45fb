/**
 * POPE's metrics per category and pooled ("all"), positive = "yes".
 *
 * lmms-eval (protocol `lmms-eval`, its metric names): `pope_accuracy` = exact matches of the
 * lower-cased, stripped answer; `pope_precision` = TP / (TP + FP) and `pope_recall` =
 * TP / (TP + FN), counting only answers that are exactly "yes" or "no" (an answer "yes." is
 * neither a positive nor a negative prediction); `pope_f1_score`; each 0 when its denominator
 * is; and `pope_yes_ratio` = the share of *gold* answers that are "yes" (lmms-eval's
 * aggregation reads the ground truth, not the predictions).
 * POPE's own script (protocol `llava`, LLaVA's eval_pope.py): every answer is read as yes or no;
 * `accuracy`, `precision`, `recall`, `f1`, and `yes_ratio` = the share of *predicted* "yes"
 * (NaN where a denominator is 0; the script would fail there).
 * Bookkeeping (protocol `moeflow`): `unparsed` = answers lmms-eval reads as neither yes nor no.
 */
import type { MetricRow } from '../../scoring/task-metrics.js';
import type { VlmItemResult } from '../results.js';
import { fraction, groupsThenAll } from './group-results.js';

interface Confusion { tp: number; fp: number; tn: number; fn: number }

function confusion(rs: readonly VlmItemResult[], pred: (r: VlmItemResult) => string): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const r of rs) {
    const p = pred(r);
    if (r.gold === 'yes' && p === 'yes') c.tp++;
    else if (r.gold === 'no' && p === 'yes') c.fp++;
    else if (r.gold === 'no' && p === 'no') c.tn++;
    else if (r.gold === 'yes' && p === 'no') c.fn++;
  }
  return c;
}

const ratio = (a: number, b: number, empty: number): number => (b > 0 ? a / b : empty);

function f1(p: number, r: number, empty: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : empty;
}

export function popeMetrics(results: readonly VlmItemResult[]): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const [group, rs] of groupsThenAll(results)) {
    const n = rs.length;
    const lm = confusion(rs, (r) => r.lmmsEval.parsed);
    const lp = ratio(lm.tp, lm.tp + lm.fp, 0);
    const lr = ratio(lm.tp, lm.tp + lm.fn, 0);
    const goldYes = rs.filter((r) => r.gold === 'yes').length;
    const row = (protocol: MetricRow['protocol'], metric: string, value: number): MetricRow => ({ group, protocol, metric, value, n });
    rows.push(
      row('lmms-eval', 'pope_accuracy', fraction(rs, (r) => r.lmmsEval.correct)),
      row('lmms-eval', 'pope_precision', lp),
      row('lmms-eval', 'pope_recall', lr),
      row('lmms-eval', 'pope_f1_score', f1(lp, lr, 0)),
      row('lmms-eval', 'pope_yes_ratio', ratio(goldYes, n, 0)),
    );
    const ll = confusion(rs, (r) => r.llava?.parsed ?? '');
    const p = ratio(ll.tp, ll.tp + ll.fp, NaN);
    const rc = ratio(ll.tp, ll.tp + ll.fn, NaN);
    rows.push(
      row('llava', 'accuracy', fraction(rs, (r) => r.llava?.correct === true)),
      row('llava', 'precision', p),
      row('llava', 'recall', rc),
      row('llava', 'f1', f1(p, rc, NaN)),
      row('llava', 'yes_ratio', fraction(rs, (r) => r.llava?.parsed === 'yes')),
    );
    rows.push(row('moeflow', 'unparsed', rs.filter((r) => r.lmmsEval.parsed !== 'yes' && r.lmmsEval.parsed !== 'no').length));
  }
  return rows;
}
