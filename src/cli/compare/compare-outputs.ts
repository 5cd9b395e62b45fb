/** The comparison as Markdown (the paper table), CSV, Parquet and a PNG of per-task scores by router. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import { encodeParquet } from '../../sinks/parquet-encode.js';
import { TableBuffer } from '../../sinks/table-buffer.js';
import type { ColumnDef, TableSpec } from '../../sinks/table-spec.js';
import { renderPng } from '../report/render.js';
import type { PaperRow } from './paper-table.js';

/** Column label of a task, as LibMoE's table heads it. */
const LABEL: Record<string, string> = {
  lambada: 'LAMBADA', blimp: 'BLiMP', cbt: 'CBT', hellaswag: 'HellaSwag', piqa: 'PIQA', arc_easy: 'ARC-Easy', arc_challenge: 'ARC-Challenge',
  openbookqa: 'OpenBookQA', commonsenseqa: 'CommonsenseQA', siqa: 'SIQA', race: 'RACE', winogrande: 'Winogrande', mmlu: 'MMLU',
};
export const taskLabel = (t: string): string => LABEL[t] ?? t;

const fmt = (v: number, digits = 2): string => (Number.isNaN(v) ? '–' : v.toFixed(digits));

export function compareMarkdown(rows: readonly PaperRow[], tasks: readonly string[], step: number, itemLimit: number): string {
  const head = ['run', 'router', 'PPL ↓', ...tasks.map(taskLabel), 'AVG Acc ↑', 'AVG Rank ↓', 'entropy', 'MaxVio', 'dead experts'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[r.runId, r.router, fmt(r.ppl), ...tasks.map((t) => fmt(r.scores[t]!)), fmt(r.avgAcc), fmt(r.avgRank), fmt(r.entropy, 3), fmt(r.maxvio, 3), fmt(r.deadExperts, 0)].join(' | ')} |`);
  }
  return `# Router comparison\n\nCheckpoint step ${step}; ${itemLimit ? `first ${itemLimit} items of each data file` : 'all items'}. ` +
    `Accuracies are LibMoE's (group average × 100, LAMBADA total); PPL is the validation perplexity at the end of training; ` +
    `AVG Rank is the mean rank over PPL (ascending) and every accuracy (descending), ties averaged; ` +
    `entropy (nats), MaxVio and dead experts are the last training step's, over MoE layers.\n\n${lines.join('\n')}\n`;
}

function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isNaN(v) ? '' : String(v)) : v;
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function compareCsv(rows: readonly PaperRow[], tasks: readonly string[]): string {
  const head = ['run_id', 'router', 'step', 'ppl', ...tasks, 'avg_acc', 'avg_rank', 'entropy', 'maxvio', 'dead_experts'];
  const body = rows.map((r) => [r.runId, r.router, r.step, r.ppl, ...tasks.map((t) => r.scores[t]!), r.avgAcc, r.avgRank, r.entropy, r.maxvio, r.deadExperts].map(csvCell).join(','));
  return `${[head.join(','), ...body].join('\n')}\n`;
}

export function compareSpec(tasks: readonly string[]): TableSpec {
  const f = (name: string, doc: string): ColumnDef => ({ name, type: 'float64', doc });
  return {
    path: 'compare',
    columns: [
      { name: 'run_id', type: 'dict', doc: 'run identifier' },
      { name: 'router', type: 'dict', doc: 'MoE algorithm (selection mode)' },
      { name: 'step', type: 'int32', doc: 'checkpoint step compared' },
      f('ppl', 'validation perplexity at the end of training'),
      ...tasks.map((t) => f(t, `${taskLabel(t)} accuracy × 100 (LibMoE)`)),
      f('avg_acc', 'mean of the task accuracies'), f('avg_rank', 'mean rank (PPL ascending, accuracies descending, ties averaged)'),
      f('entropy', 'mean full router entropy over MoE layers, last training step (nats)'), f('maxvio', 'mean MaxVio over MoE layers, last training step'),
      f('dead_experts', 'dead experts summed over MoE layers, last training step'),
    ],
  };
}

export function scoresChart(rows: readonly PaperRow[], tasks: readonly string[]): TopLevelSpec {
  const values = rows.flatMap((r) => tasks.map((t) => ({ task: taskLabel(t), run: `${r.router} · ${r.runId}`, score: r.scores[t]! })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Zero-shot accuracy by task and router (LibMoE protocol)', subtitle: `checkpoint step ${rows[0]?.step ?? ''}` },
    width: { step: 14 }, height: 260,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'task', type: 'nominal', title: null, sort: tasks.map(taskLabel), axis: { labelAngle: -30 } },
      xOffset: { field: 'run', type: 'nominal' },
      y: { field: 'score', type: 'quantitative', title: 'accuracy (%)' },
      color: { field: 'run', type: 'nominal', title: 'router · run', legend: { orient: 'bottom', columns: 1, labelLimit: 600 } },
    },
  } as TopLevelSpec;
}

export async function writeCompare(outDir: string, rows: readonly PaperRow[], tasks: readonly string[], step: number, itemLimit: number): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const md = join(outDir, 'compare.md');
  const csv = join(outDir, 'compare.csv');
  const pq = join(outDir, 'compare.parquet');
  const png = join(outDir, 'compare.png');
  await writeFile(md, compareMarkdown(rows, tasks, step, itemLimit));
  await writeFile(csv, compareCsv(rows, tasks));
  const buf = new TableBuffer(compareSpec(tasks));
  for (const r of rows) {
    buf.append({ run_id: r.runId, router: r.router, step: r.step, ppl: r.ppl, ...Object.fromEntries(tasks.map((t) => [t, r.scores[t]!])),
      avg_acc: r.avgAcc, avg_rank: r.avgRank, entropy: r.entropy, maxvio: r.maxvio, dead_experts: r.deadExperts });
  }
  await writeFileAtomic(pq, encodeParquet(buf.take()!));
  await renderPng(scoresChart(rows, tasks), png);
  return [md, csv, pq, png];
}
