/**
 * MME as lmms-eval aggregates it. Per category: `accuracy` (share of questions right),
 * `accuracy_plus` (share of images whose two questions are both right) and `score` =
 * 100 × (accuracy + accuracy_plus), 0–200, the per-category number lmms-eval logs. Then
 * `mme_perception_score` (group `perception`) and `mme_cognition_score` (group `cognition`):
 * the sum of `score` over the categories of each kind that the data has. `unparsed` (moeflow):
 * answers read as neither yes nor no ("other").
 */
import type { MetricRow } from '../../scoring/task-metrics.js';
import type { VlmItemResult } from '../results.js';

/** lmms-eval's `eval_type_dict`: the 10 perception and 4 cognition categories, in its order. */
export const MME_PERCEPTION: readonly string[] = ['existence', 'count', 'position', 'color', 'posters', 'celebrity', 'scene', 'landmark', 'artwork', 'OCR'];
export const MME_COGNITION: readonly string[] = ['commonsense_reasoning', 'numerical_calculation', 'text_translation', 'code_reasoning'];
export const MME_CATEGORIES: readonly string[] = [...MME_PERCEPTION, ...MME_COGNITION];

export function mmeMetrics(results: readonly VlmItemResult[]): MetricRow[] {
  const byCategory = new Map<string, Map<string, VlmItemResult[]>>();
  for (const r of results) {
    const pair = r.pair ?? r.id;
    const pairs = byCategory.get(r.group) ?? new Map<string, VlmItemResult[]>();
    byCategory.set(r.group, pairs);
    const p = pairs.get(pair);
    if (p) p.push(r);
    else pairs.set(pair, [r]);
  }
  const rows: MetricRow[] = [];
  const totals = { perception: { score: 0, n: 0 }, cognition: { score: 0, n: 0 } };
  // lmms-eval's category order, so tables read the same whatever the file order.
  const categories = [...byCategory.keys()].sort((a, b) => rank(a) - rank(b));
  for (const category of categories) {
    const pairs = byCategory.get(category)!;
    let right = 0;
    let questions = 0;
    let bothRight = 0;
    for (const [pair, rs] of pairs) {
      if (rs.length !== 2) throw new Error(`mme: question_id "${pair}" has ${rs.length} answered question(s); MME scores pairs (lmms-eval: "MME only supports pairwise evaluation")`);
      const k = rs.filter((r) => r.lmmsEval.correct).length;
      right += k;
      questions += 2;
      if (k === 2) bothRight++;
    }
    const accuracy = right / questions;
    const accuracyPlus = bothRight / pairs.size;
    const score = 100 * accuracy + 100 * accuracyPlus;
    rows.push(
      { group: category, protocol: 'lmms-eval', metric: 'accuracy', value: accuracy, n: questions },
      { group: category, protocol: 'lmms-eval', metric: 'accuracy_plus', value: accuracyPlus, n: pairs.size },
      { group: category, protocol: 'lmms-eval', metric: 'score', value: score, n: questions },
    );
    // lmms-eval sends every category that is not perception to the cognition score.
    const t = MME_PERCEPTION.includes(category) ? totals.perception : totals.cognition;
    t.score += score;
    t.n += questions;
  }
  if (totals.perception.n > 0) rows.push({ group: 'perception', protocol: 'lmms-eval', metric: 'mme_perception_score', value: totals.perception.score, n: totals.perception.n });
  if (totals.cognition.n > 0) rows.push({ group: 'cognition', protocol: 'lmms-eval', metric: 'mme_cognition_score', value: totals.cognition.score, n: totals.cognition.n });
  rows.push({ group: 'all', protocol: 'moeflow', metric: 'unparsed', value: results.filter((r) => r.lmmsEval.parsed === 'other').length, n: results.length });
  return rows;
}

function rank(category: string): number {
  const i = MME_CATEGORIES.indexOf(category);
  return i === -1 ? MME_CATEGORIES.length : i;
}
