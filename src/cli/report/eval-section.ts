/**
 * The zero-shot evaluation part of `pipeline report`: what eval/results holds, per task and
 * checkpoint, as a Markdown table and the rows of the accuracy chart. Read from the tables
 * `pipeline eval` (or a run's `eval:` section) wrote; nothing is recomputed.
 */
import type { RunDb, Rows } from './run-db.js';

/** One task at one checkpoint: LibMoE's headline and the harness's metrics beside it. */
export interface TaskScore {
  readonly step: number;
  readonly task: string;
  /** LibMoE accuracy (group average; LAMBADA: total), 0..1. */
  readonly accuracy: number;
  readonly acc?: number;
  readonly accNorm?: number;
  /** LAMBADA: LibMoE's last-word perplexity. */
  readonly perplexity?: number;
  /** Chance level: mean of 1 / options over the items (none for LAMBADA). */
  readonly chance?: number;
  readonly n: number;
  readonly itemLimit: number;
}

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export async function readTaskScores(db: RunDb, taskOrder: readonly string[]): Promise<TaskScore[]> {
  if (!db.has('eval_results')) return [];
  const rows = await db.all(`SELECT step, task, any_value(item_limit) AS item_limit,
      max(value) FILTER (WHERE protocol = 'libmoe' AND metric = 'accuracy' AND "group" IN ('group_average', 'total')) AS accuracy,
      max(n) FILTER (WHERE protocol = 'libmoe' AND metric = 'accuracy' AND "group" IN ('group_average', 'total')) AS n,
      max(value) FILTER (WHERE protocol = 'lm-eval-harness' AND metric = 'acc' AND "group" = 'all') AS acc,
      max(value) FILTER (WHERE protocol = 'lm-eval-harness' AND metric = 'acc_norm' AND "group" = 'all') AS acc_norm,
      max(value) FILTER (WHERE protocol = 'libmoe' AND metric = 'perplexity') AS perplexity
    FROM eval_results GROUP BY step, task`);
  const chance = new Map<string, number>();
  if (db.has('eval_items')) {
    for (const r of await db.all(`SELECT step, task, avg(1.0 / len(scores)) AS chance FROM eval_items WHERE gold >= 0 GROUP BY step, task`)) {
      chance.set(`${r.step}/${r.task}`, Number(r.chance));
    }
  }
  const rank = (t: string): number => (taskOrder.includes(t) ? taskOrder.indexOf(t) : taskOrder.length);
  return rows
    .filter((r) => r.accuracy !== null && r.accuracy !== undefined)
    .map((r): TaskScore => {
      const c = chance.get(`${r.step}/${r.task}`);
      const acc = num(r.acc), accNorm = num(r.acc_norm), ppl = num(r.perplexity);
      return {
        step: Number(r.step), task: String(r.task), accuracy: Number(r.accuracy), n: Number(r.n), itemLimit: Number(r.item_limit),
        ...(acc !== undefined ? { acc } : {}), ...(accNorm !== undefined ? { accNorm } : {}), ...(ppl !== undefined ? { perplexity: ppl } : {}), ...(c !== undefined ? { chance: c } : {}),
      };
    })
    .sort((a, b) => a.step - b.step || rank(a.task) - rank(b.task) || a.task.localeCompare(b.task));
}

const pct = (v: number | undefined): string => (v === undefined ? '–' : (100 * v).toFixed(1));

/** report.md lines: accuracy per task × checkpoint, then the last checkpoint in detail. */
export function evalMarkdown(scores: readonly TaskScore[]): string[] {
  if (scores.length === 0) return [];
  const steps = [...new Set(scores.map((s) => s.step))].sort((a, b) => a - b);
  const tasks = [...new Set(scores.map((s) => s.task))];
  const at = (task: string, step: number): TaskScore | undefined => scores.find((s) => s.task === task && s.step === step);
  const limits = [...new Set(scores.map((s) => s.itemLimit))];
  const md = ['', '## Zero-shot evaluation', ''];
  md.push(`LibMoE accuracy × 100 (group average; LAMBADA: total) per task and checkpoint${limits.length === 1 && limits[0]! > 0 ? `; at most ${limits[0]} items per data file` : ''}. Protocol: docs/eval.md.`, '');
  md.push(`| task | ${steps.map((s) => `step ${s}`).join(' | ')} |`, `|---|${steps.map(() => '---|').join('')}`);
  for (const t of tasks) md.push(`| ${t} | ${steps.map((s) => pct(at(t, s)?.accuracy)).join(' | ')} |`);
  const lastMean = tasks.map((t) => at(t, steps[steps.length - 1]!)?.accuracy).filter((v): v is number => v !== undefined);
  if (tasks.length > 1 && lastMean.length === tasks.length) md.push(`| **mean** | ${steps.map((s) => {
    const v = tasks.map((t) => at(t, s)?.accuracy);
    return v.every((x) => x !== undefined) ? `**${pct(v.reduce((a, b) => a! + b!, 0)! / v.length)}**` : '–';
  }).join(' | ')} |`);
  const last = steps[steps.length - 1]!;
  md.push('', `Last checkpoint (step ${last}) in detail: LibMoE's accuracy, lm-evaluation-harness's \`acc\` and \`acc_norm\` (pooled), chance level, items.`, '');
  md.push('| task | LibMoE accuracy | acc | acc_norm | chance | LAMBADA perplexity | items |', '|---|---|---|---|---|---|---|');
  for (const t of tasks) {
    const s = at(t, last);
    if (!s) continue;
    md.push(`| ${t} | ${pct(s.accuracy)} | ${pct(s.acc)} | ${pct(s.accNorm)} | ${pct(s.chance)} | ${s.perplexity === undefined ? '–' : s.perplexity.toFixed(1)} | ${s.n} |`);
  }
  return md;
}

/** Rows of `evalChart`: accuracy and chance in percent. */
export function evalChartRows(scores: readonly TaskScore[]): Rows {
  return scores.map((s) => ({ task: s.task, step: s.step, accuracy: 100 * s.accuracy, ...(s.chance !== undefined ? { chance: 100 * s.chance } : {}) }));
}
