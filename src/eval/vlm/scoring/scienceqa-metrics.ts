/**
 * ScienceQA-IMG per subject and pooled ("all"): lmms-eval's `exact_match` (the mean of its
 * per-item score; lmms-eval itself reports only the pooled one), LLaVA's `accuracy` (its letter
 * extraction; an answer it cannot read is wrong), and `unparsed` (moeflow): answers lmms-eval
 * credits with no letter.
 */
import type { MetricRow } from '../../scoring/task-metrics.js';
import type { VlmItemResult } from '../results.js';
import { fraction, groupsThenAll } from './group-results.js';

export function scienceQaMetrics(results: readonly VlmItemResult[]): MetricRow[] {
  return groupsThenAll(results).flatMap(([group, rs]): MetricRow[] => [
    { group, protocol: 'lmms-eval', metric: 'exact_match', value: fraction(rs, (r) => r.lmmsEval.correct), n: rs.length },
    { group, protocol: 'llava', metric: 'accuracy', value: fraction(rs, (r) => r.llava?.correct === true), n: rs.length },
    { group, protocol: 'moeflow', metric: 'unparsed', value: rs.filter((r) => r.lmmsEval.parsed === '').length, n: rs.length },
  ]);
}
