/**
 * The routing-analysis part of `pipeline report`: when RUN_DIR/analysis/ holds what
 * `pipeline analyze` wrote, its headline tables (read back from the Parquet tables, the same
 * Markdown as analysis.md) and its plots (copied beside report.md). Nothing is recomputed.
 */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisRows } from '../../analysis/analyse-checkpoints.js';
import type { Row } from '../../sinks/table-spec.js';
import { ANALYSIS_TABLES, type AnalysisTableName } from '../../sinks/tables/analysis-tables.js';
import { ANALYSIS_PLOTS } from '../analyze/analysis-charts.js';
import { analysisSummaryMarkdown } from '../analyze/analysis-md.js';
import type { RunDb } from './run-db.js';

export interface AnalysisSection {
  /** Markdown lines (empty when the run has no analysis). */
  readonly markdown: readonly string[];
  /** Plots copied into the report folder, as `analysis-<plot>.png`. */
  readonly plots: readonly string[];
}

export async function analysisSection(runDir: string, db: RunDb, outDir: string): Promise<AnalysisSection> {
  const dir = join(runDir, 'analysis');
  let names: string[];
  try { names = await readdir(dir); } catch { return { markdown: [], plots: [] }; }
  // The dynamics table has every analysed checkpoint × layer; without it there is nothing to summarise.
  if (!names.includes('dynamics.parquet')) return { markdown: [], plots: [] };
  const rows = Object.fromEntries(Object.keys(ANALYSIS_TABLES).map((t) => [t, [] as Row[]])) as AnalysisRows;
  for (const t of Object.keys(ANALYSIS_TABLES) as AnalysisTableName[]) {
    if (!names.includes(`${t}.parquet`)) continue;
    rows[t] = (await db.all(`SELECT * FROM read_parquet('${join(dir, `${t}.parquet`).replaceAll("'", "''")}')`)) as Row[];
  }
  const steps = [...new Set(rows.dynamics.map((r) => r.step as number))].sort((a, b) => a - b);
  const plots: string[] = [];
  for (const p of ANALYSIS_PLOTS) {
    if (!names.includes(p)) continue;
    await copyFile(join(dir, p), join(outDir, `analysis-${p}`));
    plots.push(`analysis-${p}`);
  }
  const markdown = [
    '', `## Routing analysis (pipeline analyze: checkpoints ${steps.map((s) => `step-${s}`).join(', ')})`, '',
    `From RUN_DIR/analysis/ (full account: analysis/analysis.md; definitions: docs/analysis.md).`, '',
    ...analysisSummaryMarkdown(rows, steps, '###'),
    '', ...plots.map((p) => `![${p.replace('.png', '')}](${p})`),
  ];
  return { markdown, plots };
}
