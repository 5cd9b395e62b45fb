/**
 * Writes an analysis to RUN_DIR/analysis/: one Parquet table per metric family with rows, the
 * PNG plots and analysis.md (each atomically), and removes what an earlier analysis wrote and
 * this one did not. Shared by the LM and the VLM analysis.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisRows } from '../../analysis/analyse-checkpoints.js';
import { writeFilesAtomic } from '../../sinks/atomic-file.js';
import { encodeParquet } from '../../sinks/parquet-encode.js';
import { TableBuffer } from '../../sinks/table-buffer.js';
import { ANALYSIS_TABLES, type AnalysisTableName } from '../../sinks/tables/analysis-tables.js';
import { ANALYSIS_PLOTS, writeAnalysisCharts } from './analysis-charts.js';
import { analysisMarkdown, type AnalysisMdInput } from './analysis-md.js';

export interface WrittenAnalysis {
  readonly files: string[];
  /** Seconds spent on tables and analysis.md, and on plots. */
  readonly writeSeconds: number;
  readonly plotSeconds: number;
}

export async function writeAnalysis(outDir: string, rows: AnalysisRows, plots: boolean, md: Omit<AnalysisMdInput, 'rows' | 'plots' | 'tables'>): Promise<WrittenAnalysis> {
  let t = performance.now();
  await mkdir(outDir, { recursive: true });
  const tables: { file: string; bytes: Uint8Array }[] = [];
  for (const [name, spec] of Object.entries(ANALYSIS_TABLES) as [AnalysisTableName, (typeof ANALYSIS_TABLES)[AnalysisTableName]][]) {
    const table = rows[name];
    if (table.length === 0) continue;
    const buf = new TableBuffer(spec);
    for (const r of table) buf.append(r);
    tables.push({ file: `${name}.parquet`, bytes: encodeParquet(buf.take()!) });
  }
  let writeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const drawn = plots ? await writeAnalysisCharts(outDir, md.runId, rows) : [];
  const plotSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const text = analysisMarkdown({ ...md, rows, plots: drawn, tables: tables.map((x) => x.file) });
  // The tables and analysis.md are written together: their fsyncs overlap instead of queueing.
  await writeFilesAtomic([...tables, { file: 'analysis.md', bytes: Buffer.from(text, 'utf8') }].map((f) => ({ path: join(outDir, f.file), bytes: f.bytes })));
  const files = [...tables.map((x) => x.file), ...drawn, 'analysis.md'];
  // A file an earlier analysis wrote and this one did not (--no-ablation, --no-plots, no ReLU
  // experts) would describe other checkpoints or options: removed, so analysis/ is this run's.
  await Promise.all([...Object.keys(ANALYSIS_TABLES).map((n) => `${n}.parquet`), ...ANALYSIS_PLOTS].filter((f) => !files.includes(f)).map((stale) => rm(join(outDir, stale), { force: true })));
  writeSeconds += (performance.now() - t) / 1000;
  return { files, writeSeconds, plotSeconds };
}
