/**
 * The report's "Routing per component and modality" section: for a run with more than a
 * language model's text routing (a VLM: vision layers, projector, decoder blocks on image and
 * text rows), a table over the last steps, the expert load per component × modality and the
 * balance per component over training. A language-model run (every row "lm layer i", text)
 * gets none: its per-layer section says it all.
 */
import { componentBalanceChart, componentLoadChart } from './component-charts.js';
import type { TopLevelSpec } from 'vega-lite';
import type { RunDb } from './run-db.js';

export interface StepSpan {
  readonly first: number;
  readonly last: number;
  /** First step of the tail the tables average over. */
  readonly tail: number;
  /** SQL expression binning `step` for line charts. */
  readonly stepBin: string;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const fmt = (v: unknown, d: number): string => (v === null || v === undefined || Number.isNaN(num(v)) ? '–' : num(v).toFixed(d));

export async function componentSection(db: RunDb, runId: string, span: StepSpan, png: (name: string, spec: TopLevelSpec) => Promise<void>): Promise<string[]> {
  if (!db.has('layers') || !db.has('experts')) return [];
  // Runs written before the component column have no per-component routing to draw.
  if (!(await db.columns('layers')).includes('component')) return [];
  const parts = await db.all(`SELECT component, modality, min(layer) AS layer FROM layers GROUP BY ALL ORDER BY layer, modality`);
  if (parts.every((p) => String(p.component).startsWith('lm layer ') && p.modality === 'text')) return [];
  const panels = parts.map((p) => `${String(p.component)} · ${String(p.modality)}`);
  const components = [...new Set(parts.map((p) => String(p.component)))];
  const { first, last, tail, stepBin } = span;

  const from = first + Math.floor((last - first) / 2);
  const [e] = await db.all(`SELECT max(expert) + 1 AS e FROM experts`);
  const load = await db.all(`WITH s AS (SELECT component, modality, expert, sum(token_slots) AS slots FROM experts WHERE step >= ${from} GROUP BY ALL)
    SELECT component || ' · ' || modality AS panel, expert, slots / sum(slots) OVER (PARTITION BY component, modality) AS share FROM s ORDER BY panel, expert`);
  await png('component-load.png', componentLoadChart(runId, load, panels, num(e!.e), `steps ${from}–${last}`));
  const balance = await db.all(`SELECT ${stepBin} AS step, component, modality, avg(maxvio) AS maxvio FROM layers GROUP BY ALL ORDER BY step`);
  await png('component-balance.png', componentBalanceChart(runId, balance, components));

  const rows = await db.all(`SELECT component, modality, min(layer) AS layer, avg(tokens) AS tokens, avg(entropy_topk) AS entropy_topk, avg(entropy_full) AS entropy_full,
      avg(maxvio) AS maxvio, avg(dead_experts) AS dead, avg(usage_perplexity) AS usage_ppl
    FROM layers WHERE step >= ${tail} GROUP BY component, modality ORDER BY layer, modality`);
  const md = ['', `## Routing per component and modality (mean over steps ${tail}–${last})`, ''];
  md.push('| component | modality | layer | tokens per step | top-k entropy / log K | full entropy | MaxVio | dead experts | usage perplexity |', '|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    md.push(`| ${String(r.component)} | ${String(r.modality)} | ${num(r.layer)} | ${fmt(r.tokens, 0)} | ${fmt(r.entropy_topk, 3)} | ${fmt(r.entropy_full, 3)} | ${fmt(r.maxvio, 3)} | ${fmt(r.dead, 1)} | ${fmt(r.usage_ppl, 3)} |`);
  }
  return md;
}
