/**
 * The report's charts as vega-lite specs over rows the DuckDB queries return.
 * Each function: data in, spec out (no I/O), so charts are easy to read and to change.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Rows } from './run-db.js';

const W = 560;
const H = 260;

/** Train loss per step, eval loss as points on the same axes. Rows: {step, loss, series}. */
export function lossChart(runId: string, rows: Rows): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Loss', subtitle: runId },
    width: W, height: H,
    data: { values: rows },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 }, transform: [{ filter: "datum.series === 'train'" }],
        encoding: { x: { field: 'step', type: 'quantitative', title: 'step' }, y: { field: 'loss', type: 'quantitative', title: 'cross-entropy (nats)', scale: { zero: false } }, color: { field: 'series', type: 'nominal', title: null } } },
      { mark: { type: 'line', point: { size: 50, filled: true }, strokeDash: [4, 3] }, transform: [{ filter: "datum.series === 'eval'" }],
        encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: null } } },
    ],
  } as TopLevelSpec;
}

/** Each aux loss (summed over layers) per step, one panel each (their scales differ by orders). Rows: {step, name, value}. */
export function auxChart(runId: string, rows: Rows): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Auxiliary losses (sum over layers)', subtitle: runId },
    data: { values: rows },
    facet: { row: { field: 'name', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: W, height: 120,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: { x: { field: 'step', type: 'quantitative', title: 'step' }, y: { field: 'value', type: 'quantitative', title: 'value', scale: { zero: false } }, color: { field: 'name', type: 'nominal', legend: null } },
    },
  } as TopLevelSpec;
}

/** Share of token-slots per expert over (binned) steps, one heatmap per layer. Rows: {layer, step_bin, expert, share}. */
export function expertLoadChart(runId: string, rows: Rows, nExperts: number): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Expert load per layer over training', subtitle: `${runId} · share of the layer's token-slots (uniform = ${(1 / Math.max(1, nExperts)).toFixed(3)})` },
    data: { values: rows },
    facet: { field: 'layer', type: 'ordinal', title: 'layer' },
    columns: 4,
    spec: {
      width: 220, height: Math.min(220, Math.max(80, nExperts * 6)),
      mark: 'rect',
      encoding: {
        x: { field: 'step_bin', type: 'ordinal', title: 'step', axis: { labelOverlap: true, labelAngle: 0 } },
        y: { field: 'expert', type: 'ordinal', title: 'expert', axis: nExperts > 24 ? { labels: false, ticks: false } : {} },
        color: { field: 'share', type: 'quantitative', title: 'load share', scale: { scheme: 'viridis' } },
      },
    },
  } as TopLevelSpec;
}

/** Router entropies per layer over steps (top-k normalised by log K; full in nats). Rows: {step, layer, measure, value}. */
export function entropyChart(runId: string, rows: Rows): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Router entropy per layer', subtitle: runId },
    data: { values: rows },
    facet: { column: { field: 'measure', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300, height: H,
      mark: { type: 'line', strokeWidth: 1.3 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: 'entropy', scale: { zero: false } },
        color: { field: 'layer', type: 'ordinal', title: 'layer', scale: { scheme: 'turbo' } },
      },
    },
  } as TopLevelSpec;
}

/** Load balance per layer over steps. Rows: {step, layer, maxvio}. */
export function maxVioChart(runId: string, rows: Rows): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'MaxVio per layer (max load / mean load − 1; 0 = balanced)', subtitle: runId },
    width: W, height: H,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.3 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'maxvio', type: 'quantitative', title: 'MaxVio' },
      color: { field: 'layer', type: 'ordinal', title: 'layer', scale: { scheme: 'turbo' } },
    },
  } as TopLevelSpec;
}

/** Per layer: share of each domain's token-slots that go to each expert. Rows: {layer, domain, expert, share}. */
export function domainChart(runId: string, rows: Rows, nExperts: number, steps: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Domain × expert load', subtitle: `${runId} · ${steps} · share of the domain's token-slots per expert (uniform = ${(1 / Math.max(1, nExperts)).toFixed(3)})` },
    data: { values: rows },
    facet: { field: 'layer', type: 'ordinal', title: 'layer' },
    columns: 2,
    spec: {
      width: Math.min(420, Math.max(160, nExperts * 14)), height: 150,
      mark: 'rect',
      encoding: {
        x: { field: 'expert', type: 'ordinal', title: 'expert', axis: { labelAngle: 0, labelOverlap: true } },
        y: { field: 'domain', type: 'nominal', title: null },
        color: { field: 'share', type: 'quantitative', title: 'share', scale: { scheme: 'magma', reverse: true } },
      },
    },
  } as TopLevelSpec;
}
