/** analysis.md: what was analysed and the headline numbers, per layer, linking the tables and plots. */
import type { AnalysisRows } from '../../analysis/analyse-checkpoints.js';
import type { Row } from '../../sinks/table-spec.js';

export interface AnalysisMdInput {
  readonly runId: string;
  readonly steps: readonly number[];
  /** `unit`: what `documents` counts (default documents; a VLM probe: records). */
  readonly probe: { readonly documents: number; readonly tokens: number; readonly source: string; readonly domains: ReadonlyMap<string, number>; readonly unit?: string };
  /** Paragraph lines after the probe line (a VLM: its components and modalities). */
  readonly notes?: readonly string[];
  readonly rows: AnalysisRows;
  readonly plots: readonly string[];
  readonly tables: readonly string[];
}

const f = (x: unknown, digits = 3): string => (typeof x === 'number' && Number.isFinite(x) ? (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits) : '—');

export function analysisMarkdown(m: AnalysisMdInput): string {
  const lines: string[] = [
    `# Routing analysis of ${m.runId}`,
    '',
    `Checkpoints: ${m.steps.map((s) => `step-${s}`).join(', ')}. Probe set: ${m.probe.documents} ${m.probe.unit ?? 'documents'}, ${m.probe.tokens} tokens, from ${m.probe.source} (${[...m.probe.domains].map(([d, n]) => `${d} ${n}`).join(', ')}).`,
    ...(m.notes?.length ? ['', ...m.notes] : []),
    'Definitions: docs/analysis.md.',
    '',
    ...analysisSummaryMarkdown(m.rows, m.steps, '##'),
  ];
  lines.push('', '## Files', '', ...m.tables.map((t) => `- \`${t}\``), ...m.plots.map((p) => `- ![${p}](${p})`), '');
  return lines.join('\n');
}

/**
 * The headline numbers (per layer at the last checkpoint, universality, ablation per checkpoint)
 * from the analysis rows, under `heading`-level titles: analysis.md and `pipeline report` share it.
 */
export function analysisSummaryMarkdown(rows: AnalysisRows, steps: readonly number[], heading: string): string[] {
  const last = steps[steps.length - 1]!;
  const lines: string[] = [
    `${heading} Per layer at step ${last}`,
    '',
    '| layer | switch from previous | saturation of first checkpoint | dead experts | usage perplexity | top domain specialisation (÷ uniform) | ANI keys / values / expert_sel | ReLU pass rate |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const dyn = rows.dynamics.filter((r) => r.domain === 'all');
  const first = steps[0]!;
  const vlm = dyn.some((r) => (r.component ?? 'language_model') !== 'language_model');
  const sites = [...new Map(dyn.map((r) => [`${r.component} ${r.layer}`, { component: r.component, layer: r.layer as number }])).values()];
  for (const { component, layer } of sites) {
    const here = (r: Row): boolean => r.component === component && r.layer === layer;
    const atLast = dyn.find((r) => here(r) && r.step === last);
    const atFirst = dyn.find((r) => here(r) && r.step === first);
    const use = rows.usage.find((r) => here(r) && r.step === last && r.window === -1);
    const spec = rows.specialisation.filter((r) => here(r) && r.step === last && r.domain !== 'all');
    const top = spec.reduce<Row | undefined>((b, r) => (!b || (r.vs_uniform as number) > (b.vs_uniform as number) ? r : b), undefined);
    const ani = (matrix: string): string => f(rows.ani.find((r) => here(r) && r.step === last && r.matrix === matrix)?.ani, 4);
    const name = vlm ? siteLabel(component as string, layer) : String(layer);
    lines.push(`| ${name} | ${f(atLast?.switch_fraction)} | ${f(atFirst?.saturation)} | ${f(use?.dead_proportion)} | ${f(use?.usage_perplexity)} | ${top ? `${f(top.vs_uniform, 2)} (${top.domain}, expert ${top.expert})` : '—'} | ${ani('keys')} / ${ani('values')} / ${ani('expert_sel')} | ${f(rows.relu.find((r) => here(r) && r.step === last)?.pass_rate)} |`);
  }
  for (const uni of rows.universality.filter((r) => r.step === last)) {
    const n = uni.layers as number;
    lines.push('', `Universality (LibMoE, over ${n} ${vlm ? `${siteLabel(uni.component as string)} ` : ''}layer${n === 1 ? '' : 's'}): score ${f(uni.score)}, optimist ${f(uni.optimist)}.`);
  }
  const mods = rows.specialisation.filter((r) => r.step === last && r.domain === 'all' && (r.modality === 'image' || r.modality === 'text'));
  if (mods.length) {
    lines.push('', `${heading} Specialisation by modality at step ${last} (language model)`, '', '| layer | modality | tokens | top expert (share, ÷ uniform) |', '|---|---|---|---|');
    for (const { component, layer } of sites.filter((x) => x.component === 'language_model')) {
      for (const m of ['image', 'text']) {
        const rs = mods.filter((r) => r.layer === layer && r.modality === m && r.component === component);
        const top = rs.reduce<Row | undefined>((b, r) => (!b || (r.share as number) > (b.share as number) ? r : b), undefined);
        if (top) lines.push(`| ${siteLabel('language_model', layer)} | ${m} | ${top.domain_tokens} | expert ${top.expert} (${f(top.share)}, ${f(top.vs_uniform, 2)}) |`);
      }
    }
  }
  const abl = rows.ablation.filter((r) => r.domain === 'all');
  if (abl.length) {
    lines.push('', `${heading} Expert ablation (${vlm ? 'answer-token' : 'probe'} perplexity)`, '', '| step | intact | DropTop-1 | DropTop-1&2 |', '|---|---|---|---|');
    for (const s of steps) {
      const at = (n: number) => abl.find((r) => r.step === s && r.drop_top === n);
      lines.push(`| ${s} | ${f(at(0)?.perplexity, 2)} | ${f(at(1)?.perplexity, 2)} (${f(at(1)?.delta_perplexity, 2)}) | ${f(at(2)?.perplexity, 2)} (${f(at(2)?.delta_perplexity, 2)}) |`);
    }
  }
  const acc = rows.ablation_accuracy;
  if (acc.length) {
    const pct = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? 100 * x : undefined);
    lines.push('', `${heading} Expert ablation (task accuracy, %)`, '', '| step | task | items | intact | DropTop-1 (Δ) | DropTop-1&2 (Δ) |', '|---|---|---|---|---|---|');
    for (const s of steps) {
      for (const task of [...new Set(acc.map((r) => r.task as string))]) {
        const at = (n: number) => acc.find((r) => r.step === s && r.task === task && r.drop_top === n);
        lines.push(`| ${s} | ${task} | ${at(0)?.items ?? '—'} | ${f(pct(at(0)?.accuracy), 1)} | ${f(pct(at(1)?.accuracy), 1)} (${f(pct(at(1)?.delta_accuracy), 1)}) | ${f(pct(at(2)?.accuracy), 1)} (${f(pct(at(2)?.delta_accuracy), 1)}) |`);
      }
    }
  }
  return lines;
}

/** A VLM layer's name: "vision 0", "projector", "LM 1" (component alone: "vision", "projector", "LM"). */
export function siteLabel(component: string, layer?: number): string {
  if (component === 'projector') return 'projector';
  const c = component === 'vision' ? 'vision' : 'LM';
  return layer === undefined ? c : `${c} ${layer}`;
}
