/**
 * The plots of `pipeline analyze`, as vega-lite specs over the analysis rows (data in, spec out),
 * rendered to PNG with the report's renderer. Heatmaps show the last analysed checkpoint;
 * lines and bars run over every checkpoint.
 */
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { AnalysisRows } from '../../analysis/analyse-checkpoints.js';
import type { Row } from '../../sinks/table-spec.js';
import { renderPng } from '../report/render.js';
import { siteLabel } from './analysis-md.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** vega's JSON data cannot hold NaN meaningfully: a missing value is dropped from the plot, not drawn at 0. */
const finite = (rows: readonly Row[], field: string): Row[] => rows.filter((r) => Number.isFinite(r[field] as number));
const lastStep = (rows: readonly Row[]): number => Math.max(...rows.map((r) => r.step as number));
const COMPONENT_ORDER: Record<string, number> = { vision: 0, projector: 1, language_model: 2 };

/**
 * The rows with `site` (and `other_site`), what plots name a layer by: its number in an LM run,
 * "vision 0", "projector", "LM 1" in a VLM run; `sort` lists the sites in model order.
 */
function sited(rows: readonly Row[], otherIsLayer = false): { values: Row[]; sort: (string | number)[] } {
  const vlm = rows.some((r) => r.component !== undefined && r.component !== 'language_model');
  const name = (c: unknown, l: unknown): string | number => (vlm ? siteLabel(String(c ?? 'language_model'), l as number) : (l as number));
  const values = rows.map((r) => ({ ...r, site: name(r.component, r.layer), ...(otherIsLayer ? { other_site: name(r.component, r.other) } : {}) }));
  const order = [...new Map(rows.map((r) => [`${r.component} ${r.layer}`, r])).values()]
    .sort((a, b) => (COMPONENT_ORDER[String(a.component)] ?? 2) - (COMPONENT_ORDER[String(b.component)] ?? 2) || (a.layer as number) - (b.layer as number));
  return { values, sort: order.map((r) => name(r.component, r.layer)) };
}

export function coActivationChart(runId: string, rows: readonly Row[]): TopLevelSpec {
  const step = lastStep(rows);
  const at = sited(rows.filter((r) => r.step === step));
  return {
    $schema: SCHEMA,
    title: { text: 'Expert co-activation (row-normalised)', subtitle: `${runId} · step ${step} · row i: of the tokens sent to i, the share also sent to j` },
    data: { values: at.values },
    facet: { column: { field: 'site', type: 'ordinal', title: 'layer', sort: at.sort } },
    spec: {
      width: 180, height: 180, mark: 'rect',
      encoding: {
        x: { field: 'other', type: 'ordinal', title: 'expert j' },
        y: { field: 'expert', type: 'ordinal', title: 'expert i' },
        color: { field: 'fraction', type: 'quantitative', title: 'fraction', scale: { domain: [0, 1], scheme: 'viridis' } },
      },
    },
  } as TopLevelSpec;
}

export function layerSimilarityChart(runId: string, rows: readonly Row[]): TopLevelSpec {
  const step = lastStep(rows);
  const at = sited(rows.filter((r) => r.step === step), true);
  const heat = (field: string, title: string) => ({
    width: 220, height: 220, mark: 'rect', title,
    encoding: {
      x: { field: 'other_site', type: 'ordinal', title: 'layer', sort: at.sort },
      y: { field: 'site', type: 'ordinal', title: 'layer', sort: at.sort },
      color: { field, type: 'quantitative', title: null, scale: { domain: [0, 1], scheme: 'viridis' } },
    },
  });
  return {
    $schema: SCHEMA,
    title: { text: 'Layer similarity', subtitle: `${runId} · step ${step}${at.values.some((r) => r.component !== 'language_model') ? ' · layers compared within their component' : ''}` },
    data: { values: at.values },
    hconcat: [heat('usage_similarity', 'usage similarity (LibMoE)'), heat('token_jaccard', 'token Jaccard')],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

export function dynamicsChart(runId: string, rows: readonly Row[]): TopLevelSpec {
  const { values: all, sort } = sited(rows.filter((r) => r.domain === 'all'));
  const line = (field: string, title: string, values: Row[]) => ({
    width: 420, height: 180, title, data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      // Integer steps: with one checkpoint pair vega would label the lone tick "40.000000".
      x: { field: 'step', type: 'quantitative', title: 'checkpoint step', axis: { format: 'd', tickMinStep: 1 } },
      y: { field, type: 'quantitative', title: null, scale: { domain: [0, 1] } },
      color: { field: 'site', type: 'nominal', title: 'layer', sort },
    },
  });
  return {
    $schema: SCHEMA,
    title: { text: 'Routing over checkpoints', subtitle: runId },
    vconcat: [
      line('switch_fraction', 'switch fraction from the previous checkpoint', finite(all, 'switch_fraction')),
      line('saturation', 'saturation (position match with the last checkpoint)', finite(all, 'saturation')),
    ],
  } as TopLevelSpec;
}

export function specialisationChart(runId: string, rows: readonly Row[]): TopLevelSpec {
  const step = lastStep(rows);
  // A VLM decoder's per-modality rows (domain 'all') are drawn as rows "image tokens", "text tokens".
  const at = sited(rows.filter((r) => r.step === step).map((r) => (r.domain === 'all' ? { ...r, domain: `${r.modality} tokens` } : r)));
  return {
    $schema: SCHEMA,
    title: { text: 'Domain specialisation (share of the domain\'s tokens ÷ uniform k/E)', subtitle: `${runId} · step ${step} · 1 = uniform` },
    data: { values: at.values },
    facet: { column: { field: 'site', type: 'ordinal', title: 'layer', sort: at.sort } },
    spec: {
      width: 180, height: { step: 22 }, mark: 'rect',
      encoding: {
        x: { field: 'expert', type: 'ordinal', title: 'expert' },
        y: { field: 'domain', type: 'nominal', title: null, sort: [...new Set(at.values.map((r) => r.domain as string))].sort((a, b) => Number(a.endsWith(' tokens')) - Number(b.endsWith(' tokens'))) },
        color: { field: 'vs_uniform', type: 'quantitative', title: '÷ uniform', scale: { scheme: 'blueorange', domainMid: 1 } },
      },
    },
  } as TopLevelSpec;
}

/** `measure`: whose perplexity (probe tokens; a VLM's answer tokens). */
export function ablationChart(runId: string, rows: readonly Row[], measure = 'probe'): TopLevelSpec {
  const values = finite(rows.filter((r) => r.domain === 'all' && r.drop_top !== 0), 'delta_perplexity').map((r) => ({ ...r, ablation: r.drop_top === 1 ? 'DropTop-1' : r.drop_top === 2 ? 'DropTop-1&2' : `DropTop-${r.drop_top}` }));
  return {
    $schema: SCHEMA,
    title: { text: `Expert ablation: ${measure} perplexity − intact`, subtitle: runId },
    data: { values },
    width: { step: 28 }, height: 220,
    mark: 'bar',
    encoding: {
      x: { field: 'step', type: 'ordinal', title: 'checkpoint step' },
      xOffset: { field: 'ablation' },
      y: { field: 'delta_perplexity', type: 'quantitative', title: 'Δ perplexity' },
      color: { field: 'ablation', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
}

/** --probe TASKS: each task's accuracy intact and under DropTop, per checkpoint (one panel per task). */
export function ablationAccuracyChart(runId: string, rows: readonly Row[]): TopLevelSpec {
  const name = (n: number): string => (n === 0 ? 'intact' : n === 1 ? 'DropTop-1' : n === 2 ? 'DropTop-1&2' : `DropTop-${n}`);
  const values = finite(rows, 'accuracy').map((r) => ({ ...r, percent: 100 * (r.accuracy as number), model: name(r.drop_top as number) }));
  return {
    $schema: SCHEMA,
    title: { text: 'Expert ablation: task accuracy', subtitle: runId },
    data: { values },
    facet: { field: 'task', type: 'nominal', title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    // One row up to four tasks (a wrapped facet draws axes under its empty cells).
    columns: Math.min(4, new Set(rows.map((r) => r.task)).size),
    spec: {
      width: { step: 28 }, height: 200,
      mark: 'bar',
      encoding: {
        x: { field: 'step', type: 'ordinal', title: 'checkpoint step' },
        xOffset: { field: 'model', sort: ['intact', 'DropTop-1', 'DropTop-1&2'] },
        y: { field: 'percent', type: 'quantitative', title: 'accuracy (%)' },
        color: { field: 'model', type: 'nominal', title: null, sort: ['intact', 'DropTop-1', 'DropTop-1&2'] },
      },
    },
  } as TopLevelSpec;
}

/** Every plot `writeAnalysisCharts` may write. */
export const ANALYSIS_PLOTS = ['coactivation.png', 'layer-similarity.png', 'dynamics.png', 'specialisation.png', 'ablation.png', 'ablation-accuracy.png'] as const;

/** Writes the plots whose rows exist; returns their file names. */
export async function writeAnalysisCharts(dir: string, runId: string, rows: AnalysisRows): Promise<string[]> {
  const vlm = rows.dynamics.some((r) => r.component !== undefined && r.component !== 'language_model');
  const charts: [string, readonly Row[], (id: string, r: readonly Row[]) => TopLevelSpec][] = [
    ['coactivation.png', rows.cooccurrence, coActivationChart],
    ['layer-similarity.png', rows.layers, layerSimilarityChart],
    ['dynamics.png', rows.dynamics, dynamicsChart],
    ['specialisation.png', rows.specialisation, specialisationChart],
    ['ablation.png', rows.ablation.filter((r) => r.drop_top !== 0), (id, r) => ablationChart(id, r, vlm ? 'answer-token' : 'probe')],
    ['ablation-accuracy.png', rows.ablation_accuracy, ablationAccuracyChart],
  ];
  const written: string[] = [];
  for (const [file, data, chart] of charts) {
    if (data.length === 0) continue;
    await renderPng(chart(runId, data), join(dir, file));
    written.push(file);
  }
  return written;
}
