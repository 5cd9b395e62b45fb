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

/** Each aux loss (summed over layers) per step, one panel each (their scales differ by orders). Rows: {step, name, value}; see `auxPanels`. */
export function auxChart(runId: string, rows: Rows): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Auxiliary losses (sum over layers)', subtitle: runId },
    data: { values: rows },
    // Panel names above each panel, left-aligned: long names do not push the plots right.
    facet: { row: { field: 'name', type: 'nominal', title: null, sort: null, header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontSize: 12, labelFontWeight: 'bold' } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: W, height: 110,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: { x: { field: 'step', type: 'quantitative', title: 'step' }, y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } }, color: { field: 'name', type: 'nominal', legend: null } },
    },
  } as TopLevelSpec;
}

/**
 * Long aux rows {step, name, value} (name without `aux_`) → the panels worth drawing. The
 * `total` column repeats a component when only one enters the objective (Switch balance
 * alone): then that panel is drawn once, named "<component> (= total)". Otherwise the
 * total keeps its own panel, named so that it is not taken for a component.
 */
export function auxPanels(rows: Rows): Rows {
  const series = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const name = String(r.name);
    if (!series.has(name)) series.set(name, new Map());
    series.get(name)!.set(Number(r.step), Number(r.value));
  }
  const total = series.get('total');
  if (!total) return rows;
  const same = (a: Map<number, number>, b: Map<number, number>): boolean =>
    a.size === b.size && [...a].every(([k, v]) => b.has(k) && (Object.is(v, b.get(k)) || Math.abs(v - b.get(k)!) <= 1e-9 * Math.max(1, Math.abs(v))));
  const twin = [...series].find(([n, s]) => n !== 'total' && same(s, total))?.[0];
  const label = (n: string): string => (twin !== undefined ? (n === twin ? `${n} (= total)` : n) : n === 'total' ? 'total (Σ entering the objective)' : n);
  return rows.filter((r) => !(twin !== undefined && r.name === 'total')).map((r) => ({ ...r, name: label(String(r.name)) }));
}

/** Rows per layer panel of the heatmaps: cells stay readable for 8 or 128 experts. */
function expertRowsHeight(nExperts: number): number {
  return Math.min(320, Math.max(100, nExperts * 14));
}

/** Expert axis: every expert up to 24, then every 8th, so labels never overlap. */
function expertAxis(nExperts: number): Record<string, unknown> {
  return nExperts <= 24 ? { labelAngle: 0 } : { labelAngle: 0, values: Array.from({ length: Math.ceil(nExperts / 8) }, (_, i) => i * 8) };
}

/** Share of token-slots per expert over binned steps: one row per layer, steps on x. Rows: {layer, step_lo, step_hi, expert, share}.
 *  `names`: a panel title per layer (a VLM's "vision layer 0", "projector", …); others read "layer i". */
export function expertLoadChart(runId: string, rows: Rows, nExperts: number, note = '', names: ReadonlyMap<number, string> = new Map()): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Expert load per layer over training', subtitle: [runId, `share of the layer's token-slots per expert (uniform = ${(1 / Math.max(1, nExperts)).toFixed(3)})${note}`] },
    data: { values: rows },
    facet: { row: { field: 'layer', type: 'ordinal', title: null, header: { labelExpr: layerLabel(names), labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontSize: 12, labelFontWeight: 'bold' } } },
    spec: {
      width: 720, height: expertRowsHeight(nExperts),
      mark: 'rect',
      encoding: {
        x: { field: 'step_lo', type: 'quantitative', title: 'step', scale: { nice: false, zero: false } },
        x2: { field: 'step_hi' },
        y: { field: 'expert', type: 'ordinal', title: 'expert', axis: nExperts > 24 ? { values: expertAxis(nExperts).values } : {} },
        color: { field: 'share', type: 'quantitative', title: 'load share', scale: { scheme: 'viridis' } },
      },
    },
  } as TopLevelSpec;
}

/** A vega expression naming panel `datum.value` (a layer index): its name in `names`, else "layer i". */
function layerLabel(names: ReadonlyMap<number, string>): string {
  let expr = "'layer ' + datum.value";
  for (const [layer, name] of [...names].reverse()) expr = `datum.value == ${layer} ? ${JSON.stringify(`layer ${layer} · ${name}`)} : ${expr}`;
  return expr;
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

/** Per layer: share of each domain's token-slots that go to each expert; one row per layer. Rows: {layer, domain, expert, share}. */
export function domainChart(runId: string, rows: Rows, nExperts: number, steps: string): TopLevelSpec {
  const domains = new Set(rows.map((r) => String(r.domain))).size;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // Subtitle over two lines: one long line used to set the image's width, leaving half of it empty.
    title: { text: 'Domain × expert load', subtitle: [`${runId} · ${steps}`, `share of each domain's token-slots per expert (uniform = ${(1 / Math.max(1, nExperts)).toFixed(3)})`] },
    data: { values: rows },
    facet: { row: { field: 'layer', type: 'ordinal', title: null, header: { labelExpr: "'layer ' + datum.value", labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontSize: 12, labelFontWeight: 'bold' } } },
    spec: {
      width: Math.min(720, Math.max(320, nExperts * 28)), height: Math.max(60, domains * 20),
      mark: 'rect',
      encoding: {
        x: { field: 'expert', type: 'ordinal', title: 'expert', axis: expertAxis(nExperts) },
        y: { field: 'domain', type: 'nominal', title: null },
        color: { field: 'share', type: 'quantitative', title: 'share', scale: { scheme: 'magma', reverse: true } },
      },
    },
  } as TopLevelSpec;
}

/**
 * Zero-shot accuracy per task (LibMoE protocol), one bar per checkpoint within each task, with
 * the task's chance level as a black tick (a bar at chance means nothing was learnt).
 * Rows: {task, step, accuracy, chance?} in percent; `tasks` gives the order.
 */
export function evalChart(runId: string, rows: Rows, tasks: readonly string[]): TopLevelSpec {
  const steps = new Set(rows.map((r) => Number(r.step))).size;
  const x = { field: 'task', type: 'nominal', title: null, sort: [...tasks], axis: { labelAngle: -30, labelFontSize: 12 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Zero-shot accuracy per task and checkpoint', subtitle: [runId, 'LibMoE protocol (group average; LAMBADA: total) · black tick: chance'] },
    width: { step: Math.max(36, 14 * steps + 12) }, height: H,
    data: { values: rows },
    layer: [
      { mark: { type: 'bar' },
        encoding: {
          x, xOffset: { field: 'step', type: 'ordinal' },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } },
          color: { field: 'step', type: 'ordinal', title: 'checkpoint step', scale: { scheme: steps > 1 ? 'blues' : 'tableau10' }, legend: { orient: 'right' } },
          tooltip: [{ field: 'task' }, { field: 'step' }, { field: 'accuracy', format: '.1f' }],
        } },
      { mark: { type: 'tick', color: 'black', thickness: 2 }, transform: [{ filter: 'isValid(datum.chance)' }],
        encoding: { x, y: { field: 'chance', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}
