/** Query a run's Parquet statistics with DuckDB, draw PNG plots, write report.md (`pipeline report`). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auxChart, auxPanels, domainChart, entropyChart, evalChart, expertLoadChart, lossChart, maxVioChart } from './charts.js';
import { analysisSection } from './analysis-section.js';
import { componentSection } from './component-section.js';
import { evalChartRows, evalMarkdown, readTaskScores } from './eval-section.js';
import { evalTaskNames } from '../../eval/tasks/registry.js';
import { renderPng } from './render.js';
import { RunDb, type Rows } from './run-db.js';
import { readRunConfig } from '../shared/run-dir.js';

export interface ReportResult {
  readonly dir: string;
  readonly files: readonly string[];
  readonly summary: string;
}

/** Evenly spread picks, so big models get a readable number of panels. */
function spread(values: readonly number[], max: number): number[] {
  if (values.length <= max) return [...values];
  return Array.from({ length: max }, (_, i) => values[Math.round((i * (values.length - 1)) / (max - 1))]!);
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const fmt = (v: unknown, d = 4): string => (v === null || v === undefined || Number.isNaN(num(v)) ? '–' : num(v).toFixed(d));

export async function writeReport(runDir: string, outDir = join(runDir, 'report')): Promise<ReportResult> {
  const { run, pipeline } = await readRunConfig(runDir);
  const runId = run?.id ?? runDir.split('/').pop()!;
  const db = await RunDb.open(runDir);
  const files: string[] = [];
  const md: string[] = [];
  try {
    if (!db.has('metrics')) throw new Error(`${runDir}: no metrics-*.parquet yet (nothing flushed): nothing to report`);
    if (db.lastCompleteStep === undefined) throw new Error(`${runDir}: no step is complete in every table yet (steps seen up to ${db.lastStepSeen ?? 'none'}): nothing to report`);
    await mkdir(outDir, { recursive: true });
    const png = async (name: string, spec: Parameters<typeof renderPng>[0]): Promise<void> => {
      await renderPng(spec, join(outDir, name));
      files.push(name);
    };

    const [span] = await db.all(`SELECT min(step) AS first, max(step) AS last, count(*) AS steps, sum(tokens) AS tokens,
      avg(tokens_per_s) AS tps, avg(ms_data) AS data, avg(ms_compute) AS compute, avg(ms_stats) AS stats, avg(ms_sinks) AS sinks, sum(flops) AS flops FROM metrics`);
    const last = num(span!.last);
    const first = num(span!.first);
    const tail = Math.max(first, last - Math.max(1, Math.floor((last - first + 1) / 10)) + 1);

    // Long runs: line charts show the mean of fixed step bins (≤ ~800 points per line), so a
    // 100k-step run stays a readable, renderable plot.
    const w = Math.max(1, Math.ceil((last - first + 1) / 800));
    const stepBin = w > 1 ? `(${first} + ((step - ${first}) // ${w}) * ${w})` : 'step';

    // Loss.
    const train = await db.all(`SELECT ${stepBin} AS step, avg(loss) AS loss, 'train' AS series FROM metrics GROUP BY 1 ORDER BY 1`);
    const evals = db.has('eval') ? await db.all(`SELECT step, loss, perplexity, accuracy, 'eval' AS series FROM eval ORDER BY step`) : [];
    await png('loss.png', lossChart(runId, [...train, ...evals]));

    // Aux losses (wide aux_* columns → long rows).
    const auxCols = (await db.columns('metrics')).filter((c) => c.startsWith('aux_'));
    if (auxCols.length) {
      const aux = await db.all(`UNPIVOT (SELECT ${stepBin} AS step, ${auxCols.map((c) => `avg("${c}") AS "${c}"`).join(', ')} FROM metrics GROUP BY 1) ON ${auxCols.map((c) => `"${c}"`).join(', ')} INTO NAME name VALUE value ORDER BY step`);
      await png('aux.png', auxChart(runId, auxPanels(aux.map((r) => ({ ...r, name: String(r.name).replace(/^aux_/, '') })))));
    }

    let nExperts = 0;
    let layerIds: number[] = [];
    if (db.has('experts')) {
      [nExperts] = (await db.all(`SELECT max(expert) + 1 AS e FROM experts`)).map((r) => num(r.e));
      layerIds = (await db.all(`SELECT DISTINCT layer FROM experts ORDER BY layer`)).map((r) => num(r.layer));
      const bins = Math.min(60, last - first + 1);
      const width = Math.max(1, Math.ceil((last - first + 1) / bins));
      const shown = spread(layerIds, 12);
      // A bin covers steps [step_lo, step_hi): drawn as a rect on a continuous step axis.
      const load = await db.all(`WITH b AS (SELECT layer, expert, ${first} + ((step - ${first}) // ${width}) * ${width} AS step_lo, sum(token_slots) AS slots
          FROM experts WHERE layer IN (${shown.join(',')}) GROUP BY ALL)
        SELECT layer, expert, step_lo, step_lo + ${width} AS step_hi, slots / sum(slots) OVER (PARTITION BY layer, step_lo) AS share FROM b ORDER BY layer, step_lo, expert`);
      // A VLM's layers are named by component (a decoder block's panel sums its image and text rows).
      const parts = (await db.columns('experts')).includes('component') ? await db.all(`SELECT DISTINCT layer, component FROM experts`) : [];
      const names = parts.every((r) => r.component === `lm layer ${num(r.layer)}`) ? new Map<number, string>() : new Map(parts.map((r) => [num(r.layer), String(r.component)]));
      await png('expert-load.png', expertLoadChart(runId, load, nExperts!, shown.length < layerIds.length ? ` · layers ${shown.join(', ')} of ${layerIds.length}` : '', names));
    }

    let layerTable: Rows = [];
    if (db.has('layers')) {
      const ent = await db.all(`SELECT ${stepBin} AS step, layer, 'top-k entropy / log K' AS measure, avg(entropy_topk) AS value FROM layers GROUP BY 1, 2
        UNION ALL SELECT ${stepBin}, layer, 'full entropy (nats)', avg(entropy_full) FROM layers GROUP BY 1, 2 ORDER BY 1, 2`);
      await png('entropy.png', entropyChart(runId, ent));
      await png('maxvio.png', maxVioChart(runId, await db.all(`SELECT ${stepBin} AS step, layer, avg(maxvio) AS maxvio FROM layers GROUP BY 1, 2 ORDER BY 1, 2`)));
      layerTable = await db.all(`SELECT layer, avg(entropy_topk) AS entropy_topk, avg(entropy_full) AS entropy_full, avg(margin) AS margin, avg(maxvio) AS maxvio,
        avg(dead_experts) AS dead, avg(usage_perplexity) AS usage_ppl, avg(overlap_prev) AS overlap, sum(dropped_slots) AS dropped
        FROM layers WHERE step >= ${tail} GROUP BY layer ORDER BY layer`);
    }

    // A VLM's routing per component (vision layers, projector, decoder) and modality.
    const componentMd = await componentSection(db, runId, { first, last, tail, stepBin }, png);

    let domainTop: Rows = [];
    if (db.has('domains')) {
      const from = first + Math.floor((last - first) / 2);
      const shown = spread(layerIds.length ? layerIds : (await db.all(`SELECT DISTINCT layer FROM domains ORDER BY layer`)).map((r) => num(r.layer)), 6);
      const dom = await db.all(`WITH s AS (SELECT layer, domain, expert, sum(token_slots) AS slots FROM domains WHERE step >= ${from} AND layer IN (${shown.join(',')}) GROUP BY ALL)
        SELECT layer, domain, expert, slots / sum(slots) OVER (PARTITION BY layer, domain) AS share FROM s ORDER BY layer, domain, expert`);
      await png('domains.png', domainChart(runId, dom, nExperts || 1, `steps ${from}–${last}${shown.length < layerIds.length ? `, layers ${shown.join(', ')}` : ''}`));
      domainTop = await db.all(`WITH s AS (SELECT layer, domain, expert, sum(token_slots) AS slots FROM domains WHERE step >= ${from} GROUP BY ALL),
        sh AS (SELECT layer, domain, expert, slots / sum(slots) OVER (PARTITION BY layer, domain) AS share FROM s)
        SELECT domain, layer, arg_max(expert, share) AS expert, max(share) AS share FROM sh GROUP BY domain, layer ORDER BY domain, layer`);
    }

    // Zero-shot evaluation (eval/): a table per task × checkpoint and its chart.
    const scores = await readTaskScores(db, evalTaskNames());
    if (scores.length) await png('eval-accuracy.png', evalChart(runId, evalChartRows(scores), [...new Set(scores.map((s) => s.task))]));

    // report.md
    const model = (pipeline.model ?? {}) as Record<string, unknown>;
    const moe = (model.moe ?? {}) as Record<string, unknown>;
    const lossTail = await db.all(`SELECT avg(loss) AS loss FROM metrics WHERE step >= ${tail}`);
    md.push(`# Run ${runId}`, '');
    md.push(`- pipeline: ${String(pipeline.name ?? '?')} — ${moe.algorithm ? `${String(moe.algorithm)}, E=${String(moe.nExperts)}, K=${String(moe.topK)}` : 'dense'}, ${String(model.nLayers ?? '?')} layers, d=${String(model.dModel ?? '?')}`);
    md.push(`- backend: ${run?.backend?.resolved ?? run?.backend?.requested ?? '?'}${run?.resumedFromStep !== undefined ? `; resumed after step ${run.resumedFromStep}` : ''}`);
    md.push(`- steps ${first}–${last} (${num(span!.steps)} rows), ${num(span!.tokens)} tokens, mean ${fmt(span!.tps, 0)} tokens/s`);
    if ((db.lastStepSeen ?? last) > last) md.push(`- steps after ${last} are not yet in every table (seen up to ${db.lastStepSeen}): this report stops at step ${last}`);
    md.push(`- mean ms per step: data ${fmt(span!.data, 1)}, compute ${fmt(span!.compute, 1)}, statistics ${fmt(span!.stats, 1)}, sinks ${fmt(span!.sinks, 1)}`);
    md.push(`- train loss (mean of steps ${tail}–${last}): ${fmt(lossTail[0]?.loss)}`);
    if (evals.length) {
      const e = evals[evals.length - 1]!;
      md.push(`- last eval (step ${num(e.step)}): loss ${fmt(e.loss)}, perplexity ${fmt(e.perplexity, 2)}, accuracy ${fmt(num(e.accuracy) * 100, 1)}%`);
    }
    if (layerTable.length) {
      md.push('', `## Routing per layer (mean over steps ${tail}–${last})`, '');
      md.push('| layer | top-k entropy / log K | full entropy | margin | MaxVio | dead experts | usage perplexity | overlap prev | dropped |', '|---|---|---|---|---|---|---|---|---|');
      for (const r of layerTable) md.push(`| ${num(r.layer)} | ${fmt(r.entropy_topk, 3)} | ${fmt(r.entropy_full, 3)} | ${fmt(r.margin, 3)} | ${fmt(r.maxvio, 3)} | ${fmt(r.dead, 1)} | ${fmt(r.usage_ppl, 3)} | ${fmt(r.overlap, 3)} | ${num(r.dropped)} |`);
    }
    md.push(...componentMd);
    if (domainTop.length) {
      md.push('', '## Most-used expert per domain (second half of training)', '');
      md.push('| domain | layer | expert | share of the domain\'s token-slots |', '|---|---|---|---|');
      for (const r of domainTop) md.push(`| ${String(r.domain)} | ${num(r.layer)} | ${num(r.expert)} | ${fmt(r.share, 3)} |`);
    }
    md.push(...evalMarkdown(scores));
    md.push('', '## Plots', '', ...files.map((f) => `![${f.replace('.png', '')}](${f})`), '');
    // Routing analysis (analysis/, pipeline analyze): its tables and plots, after the run's own plots.
    const analysis = await analysisSection(runDir, db, outDir);
    md.push(...analysis.markdown, ...(analysis.markdown.length ? [''] : []));
    files.push(...analysis.plots);
    md.push('Tables: see docs/run.md; query them with DuckDB, e.g.', '', '```sql', `SELECT step, loss FROM read_parquet('${join(runDir, 'metrics-*.parquet')}') ORDER BY step;`, '```', '');
    await writeFile(join(outDir, 'report.md'), md.join('\n'));
    files.push('report.md');
  } finally {
    db.close();
  }
  return { dir: outDir, files, summary: md.slice(0, 8).join('\n') };
}
