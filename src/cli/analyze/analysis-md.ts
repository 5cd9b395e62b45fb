/** analysis.md: what was analysed and the headline numbers, per layer, linking the tables and plots. */
import type { AnalysisRows } from '../../analysis/analyse-checkpoints.js';
import type { Row } from '../../sinks/table-spec.js';

export interface AnalysisMdInput {
  readonly runId: string;
  readonly steps: readonly number[];
  readonly probe: { readonly documents: number; readonly tokens: number; readonly source: string; readonly domains: ReadonlyMap<string, number> };
  readonly rows: AnalysisRows;
  readonly plots: readonly string[];
  readonly tables: readonly string[];
}

const f = (x: unknown, digits = 3): string => (typeof x === 'number' && Number.isFinite(x) ? (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits) : '—');

export function analysisMarkdown(m: AnalysisMdInput): string {
  const lines: string[] = [
    `# Routing analysis of ${m.runId}`,
    '',
    `Checkpoints: ${m.steps.map((s) => `step-${s}`).join(', ')}. Probe set: ${m.probe.documents} documents, ${m.probe.tokens} tokens, from ${m.probe.source} (${[...m.probe.domains].map(([d, n]) => `${d} ${n}`).join(', ')}).`,
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
  for (const layer of [...new Set(dyn.map((r) => r.layer as number))]) {
    const atLast = dyn.find((r) => r.layer === layer && r.step === last);
    const atFirst = dyn.find((r) => r.layer === layer && r.step === first);
    const use = rows.usage.find((r) => r.layer === layer && r.step === last && r.window === -1);
    const spec = rows.specialisation.filter((r) => r.layer === layer && r.step === last);
    const top = spec.reduce<Row | undefined>((b, r) => (!b || (r.vs_uniform as number) > (b.vs_uniform as number) ? r : b), undefined);
    const ani = (matrix: string): string => f(rows.ani.find((r) => r.layer === layer && r.step === last && r.matrix === matrix)?.ani, 4);
    lines.push(`| ${layer} | ${f(atLast?.switch_fraction)} | ${f(atFirst?.saturation)} | ${f(use?.dead_proportion)} | ${f(use?.usage_perplexity)} | ${top ? `${f(top.vs_uniform, 2)} (${top.domain}, expert ${top.expert})` : '—'} | ${ani('keys')} / ${ani('values')} / ${ani('expert_sel')} | ${f(rows.relu.find((r) => r.layer === layer && r.step === last)?.pass_rate)} |`);
  }
  const uni = rows.universality.find((r) => r.step === last);
  lines.push('', `Universality (LibMoE, over ${uni?.layers ?? 0} layers): score ${f(uni?.score)}, optimist ${f(uni?.optimist)}.`);
  const abl = rows.ablation.filter((r) => r.domain === 'all');
  if (abl.length) {
    lines.push('', `${heading} Expert ablation (probe perplexity)`, '', '| step | intact | DropTop-1 | DropTop-1&2 |', '|---|---|---|---|');
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
