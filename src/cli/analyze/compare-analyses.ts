/**
 * `pipeline analyze --compare RUN_DIR...`: several runs' routers lined up on the same probe
 * documents (--probe files, else the first run's held-out documents, tokenized by each run's own
 * tokenizer). Each run is analysed as `pipeline analyze` does (its analysis/ is written), then
 * OUT/analysis-compare.md (one row per run: whole-model numbers and means over MoE layers at the
 * run's last analysed checkpoint) and OUT/analysis-compare.png (per layer, the runs side by side).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { AnalysisRows } from '../../analysis/analyse-checkpoints.js';
import { validatePipeline } from '../../config/load.js';
import { moeAlgorithms } from '../../models/moe/registry.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import type { Row } from '../../sinks/table-spec.js';
import { renderPng } from '../report/render.js';
import { RUN_TOKENIZER } from '../run/data-plan.js';
import { UsageError } from '../shared/errors.js';
import { readRunConfig } from '../shared/run-dir.js';
import { loadProbeRecords } from './probe-set.js';
import { runAnalyze, type RunAnalyzeOptions } from './run-analyze.js';
import { loadTaskProbe } from './task-probe.js';

export interface CompareAnalysesOptions extends Omit<RunAnalyzeOptions, 'runDir' | 'probeRecords' | 'taskProbe'> {
  readonly runDirs: readonly string[];
  readonly outDir: string;
}

export interface ComparedRun {
  readonly label: string;
  readonly runDir: string;
  readonly router: string;
  readonly steps: readonly number[];
  readonly probeTokens: number;
  readonly rows: AnalysisRows;
}

export interface CompareAnalysesResult {
  readonly runs: readonly ComparedRun[];
  readonly markdown: string;
  readonly files: readonly string[];
}

/** Per-layer metrics drawn side by side (at each run's last checkpoint): [name, rows → value per layer]. */
const LAYER_METRICS: readonly [string, (r: AnalysisRows, step: number, layer: number) => number | undefined][] = [
  ['switch fraction from the previous checkpoint', (r, s, l) => num(r.dynamics.find((x) => x.step === s && x.layer === l && x.domain === 'all')?.switch_fraction)],
  ['saturation of the first checkpoint', (r, _s, l) => num(r.dynamics.filter((x) => x.layer === l && x.domain === 'all').sort((a, b) => (a.step as number) - (b.step as number))[0]?.saturation)],
  ['usage perplexity (1 = balanced)', (r, s, l) => num(r.usage.find((x) => x.step === s && x.layer === l && x.window === -1)?.usage_perplexity)],
  ['top domain specialisation ÷ uniform', (r, s, l) => { const v = r.specialisation.filter((x) => x.step === s && x.layer === l).map((x) => x.vs_uniform as number); return v.length ? Math.max(...v) : undefined; }],
  ['ReLU pass rate', (r, s, l) => num(r.relu.find((x) => x.step === s && x.layer === l)?.pass_rate)],
];

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

const f = (x: number | undefined, digits = 3): string => (x === undefined ? '—' : (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits));
const mean = (xs: readonly (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
};

export async function compareAnalyses(o: CompareAnalysesOptions): Promise<CompareAnalysesResult> {
  const log = o.log ?? (() => undefined);
  // Every run directory is checked before any analysis starts.
  const configs = [];
  for (const dir of o.runDirs) {
    const saved = await readRunConfig(dir);
    const config = validatePipeline(saved.pipeline, join(dir, 'config.yaml'), { algorithms: moeAlgorithms() });
    if (config.model.vlm) throw new UsageError(`${dir} is a vision-language run: pipeline analyze --compare lines up language-model runs (analyse a VLM run on its own: pipeline analyze ${dir})`, 'analyze');
    configs.push({ dir, saved, config });
  }
  const first = configs[0]!;
  const firstId = first.saved.run?.id ?? first.dir.split('/').filter(Boolean).pop()!;
  // Task items are read once (every run scores the same items); documents likewise.
  const taskProbe = o.probeTasks ? await loadTaskProbe({ ...o.probeTasks, log }) : undefined;
  const probeRecords = taskProbe?.records ?? await loadProbeRecords(first.config, o.probeFiles, firstId);
  const runs: ComparedRun[] = [];
  const labels = new Set<string>();
  for (const { dir, config } of configs) {
    log(`analyze --compare: ${dir}\n`);
    const s = await runAnalyze({ ...o, runDir: dir, probeRecords, ...(taskProbe ? { taskProbe } : {}) });
    let label = s.runId;
    for (let i = 2; labels.has(label); i++) label = `${s.runId} (${i})`;
    labels.add(label);
    runs.push({ label, runDir: dir, router: config.model.moe?.algorithm ?? 'dense', steps: s.steps, probeTokens: s.probeTokens, rows: s.rows });
  }
  const tokenizers = await Promise.all(o.runDirs.map((d) => readFile(join(d, RUN_TOKENIZER), 'utf8')));
  const sameTokenizer = tokenizers.every((t) => t === tokenizers[0]);

  await mkdir(o.outDir, { recursive: true });
  const png = 'analysis-compare.png';
  const files: string[] = [];
  if (o.plots) {
    await renderPng(compareChart(runs), join(o.outDir, png));
    files.push(png);
  }
  const markdown = compareMarkdown(runs, probeRecords.source, probeRecords.records.length, sameTokenizer, files.includes(png) ? png : undefined);
  await writeFileAtomic(join(o.outDir, 'analysis-compare.md'), Buffer.from(markdown, 'utf8'));
  files.push('analysis-compare.md');
  return { runs, markdown, files };
}

function lastStep(r: ComparedRun): number {
  return r.steps[r.steps.length - 1]!;
}

function layersOf(r: ComparedRun): number[] {
  return [...new Set(r.rows.usage.map((x) => x.layer as number))].sort((a, b) => a - b);
}

export function compareMarkdown(runs: readonly ComparedRun[], source: string, documents: number, sameTokenizer: boolean, png: string | undefined): string {
  const lines = [
    `# Routing analysis of ${runs.length} runs on the same probe set`,
    '',
    `Probe set: ${documents} ${source.startsWith('evaluation items') ? 'items' : 'documents'} from ${source}, tokenized by each run's tokenizer${sameTokenizer ? ' (the same tokenizer in every run)' : ' — the runs\' tokenizers differ, so token counts and perplexities are not comparable across runs'}.`,
    'Perplexity and DropTop at each run\'s last analysed checkpoint; the other columns are means over its MoE layers there. Definitions: docs/analysis.md; each run\'s own analysis: RUN_DIR/analysis/analysis.md.',
    '',
    '| run | router | checkpoints | probe tokens | perplexity | DropTop-1 Δ | DropTop-1&2 Δ | switch from previous | saturation of first | usage perplexity | dead experts | universality | ANI keys / values / expert_sel | ReLU pass rate |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const accuracy = accuracyLines(runs);
  for (const r of runs) {
    const s = lastStep(r);
    const layers = layersOf(r);
    const abl = (n: number): Row | undefined => r.rows.ablation.find((x) => x.step === s && x.domain === 'all' && x.drop_top === n);
    const perLayer = (i: number): number | undefined => mean(layers.map((l) => LAYER_METRICS[i]![1](r.rows, s, l)));
    const dead = mean(layers.map((l) => num(r.rows.usage.find((x) => x.step === s && x.layer === l && x.window === -1)?.dead_proportion)));
    const ani = (m: string): string => f(mean(r.rows.ani.filter((x) => x.step === s && x.matrix === m).map((x) => num(x.ani))), 4);
    lines.push(`| ${r.label} | ${r.router} | ${r.steps.map((x) => `step-${x}`).join(', ')} | ${r.probeTokens} | ${f(num(abl(0)?.perplexity), 2)} | ${f(num(abl(1)?.delta_perplexity), 2)} | ${f(num(abl(2)?.delta_perplexity), 2)} | ${f(perLayer(0))} | ${f(perLayer(1))} | ${f(perLayer(2))} | ${f(dead)} | ${f(num(r.rows.universality.find((x) => x.step === s)?.score))} | ${ani('keys')} / ${ani('values')} / ${ani('expert_sel')} | ${f(perLayer(4))} |`);
  }
  lines.push(...accuracy);
  if (png) lines.push('', `![${png}](${png})`);
  lines.push('');
  return lines.join('\n');
}

/** With --probe TASKS: per run and task, accuracy intact and its change under DropTop-1 and -1&2, at the run's last analysed checkpoint. */
function accuracyLines(runs: readonly ComparedRun[]): string[] {
  if (runs.every((r) => r.rows.ablation_accuracy.length === 0)) return [];
  const lines = ['', 'Task accuracy (percent) at each run\'s last analysed checkpoint, intact and under expert ablation:', '', '| run | router | task | items | intact | DropTop-1 Δ | DropTop-1&2 Δ |', '|---|---|---|---|---|---|---|'];
  for (const r of runs) {
    const s = lastStep(r);
    const at = r.rows.ablation_accuracy.filter((x) => x.step === s);
    for (const t of [...new Set(at.map((x) => x.task as string))]) {
      const a = (n: number): Row | undefined => at.find((x) => x.task === t && x.drop_top === n);
      const pct = (x: unknown): number | undefined => (num(x) === undefined ? undefined : 100 * (x as number));
      lines.push(`| ${r.label} | ${r.router} | ${t} | ${a(0)?.items ?? '—'} | ${f(pct(a(0)?.accuracy), 1)} | ${f(pct(a(1)?.delta_accuracy), 1)} | ${f(pct(a(2)?.delta_accuracy), 1)} |`);
    }
  }
  return lines;
}

export function compareChart(runs: readonly ComparedRun[]): TopLevelSpec {
  const values: Row[] = [];
  for (const r of runs) {
    const s = lastStep(r);
    for (const l of layersOf(r)) {
      for (const [metric, read] of LAYER_METRICS) {
        const v = read(r.rows, s, l);
        if (v !== undefined) values.push({ run: `${r.router}: ${r.label}`, layer: l, metric, value: v });
      }
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Routers on the same probe set', subtitle: 'per MoE layer, at each run\'s last analysed checkpoint' },
    data: { values },
    // One panel per metric, in LAYER_METRICS' order, three to a row; each with its own y scale.
    facet: { field: 'metric', type: 'nominal', title: null, sort: LAYER_METRICS.map(([m]) => m), header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    columns: 3,
    spec: {
      width: 240, height: 160,
      mark: 'bar',
      encoding: {
        x: { field: 'layer', type: 'ordinal', title: 'layer' },
        xOffset: { field: 'run', type: 'nominal' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'run', type: 'nominal', title: 'router: run', legend: { orient: 'top', direction: 'vertical', labelLimit: 700 } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
