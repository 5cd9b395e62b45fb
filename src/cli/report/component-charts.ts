/**
 * A multi-component run's routing (a VLM: vision layers, projector, decoder blocks) drawn per
 * component and modality (issue 10 "Statistics"). Data in, vega-lite spec out, as charts.ts.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Rows } from './run-db.js';

/**
 * Expert load per component × modality: one heatmap row each, experts across, colour the
 * share of the row's token-slots (expert labels every 8th above 24 experts, as charts.ts).
 * Rows: {panel, expert, share}; `panels` gives the row order.
 */
export function componentLoadChart(runId: string, rows: Rows, panels: readonly string[], nExperts: number, steps: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Expert load per component and modality', subtitle: [`${runId} · ${steps}`, `share of the component's token-slots per expert (uniform = ${(1 / Math.max(1, nExperts)).toFixed(3)})`] },
    width: Math.min(720, Math.max(320, nExperts * 36)), height: { step: 26 },
    data: { values: rows },
    mark: 'rect',
    encoding: {
      x: { field: 'expert', type: 'ordinal', title: 'expert', axis: nExperts <= 24 ? { labelAngle: 0 } : { labelAngle: 0, values: Array.from({ length: Math.ceil(nExperts / 8) }, (_, i) => i * 8) } },
      y: { field: 'panel', type: 'nominal', title: null, sort: [...panels], axis: { labelFontSize: 12, labelLimit: 260 } },
      color: { field: 'share', type: 'quantitative', title: 'load share', scale: { scheme: 'viridis' } },
      tooltip: [{ field: 'panel' }, { field: 'expert' }, { field: 'share', format: '.3f' }],
    },
  } as TopLevelSpec;
}

/** MaxVio over steps per component, dashed for image tokens of a decoder block. Rows: {step, component, modality, maxvio}. */
export function componentBalanceChart(runId: string, rows: Rows, components: readonly string[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Load balance per component (MaxVio = max load / mean load − 1; 0 = balanced)', subtitle: runId },
    width: 560, height: 260,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'maxvio', type: 'quantitative', title: 'MaxVio' },
      color: { field: 'component', type: 'nominal', title: 'component', sort: [...components], scale: { scheme: 'tableau10' } },
      strokeDash: { field: 'modality', type: 'nominal', title: 'modality', sort: ['text', 'image'] },
      detail: { field: 'modality', type: 'nominal' },
    },
  } as TopLevelSpec;
}
