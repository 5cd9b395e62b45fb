/**
 * `pipeline analyze`'s work: build the probe set, run it through each chosen checkpoint in
 * evaluation mode (intact, then DropTop-1 and DropTop-1&2), compute every metric family
 * (src/analysis) and write RUN_DIR/analysis/: one Parquet table per family, PNG plots and
 * analysis.md. Reruns recompute everything and replace the files (each written atomically).
 */
import { join } from 'node:path';
import { analyseCheckpoints, type AnalysisRows, type CheckpointProbe, type LayerRoutes } from '../../analysis/analyse-checkpoints.js';
import { aniParameter, expertWeightAni } from '../../analysis/expert-weight-ani.js';
import { validatePipeline } from '../../config/load.js';
import { selectBackend, type BackendRequest } from '../../models/backend.js';
import { modelFromCheckpoint } from '../../models/checkpoint/load-lm-weights.js';
import { moeLayerWeights } from '../../models/lm/moe-layer-weights.js';
import { probeRoutes } from '../../models/lm/probe-routes.js';
import { createMoeLayer, moeAlgorithms } from '../../models/moe/registry.js';
import { decodeIds, encodeTexts, loadTokenizer } from '../../tokenizer/tokenizer.js';
import { chooseSteps, type CheckpointChoice } from '../eval/run-eval.js';
import { RUN_TOKENIZER } from '../run/data-plan.js';
import { readRunConfig } from '../shared/run-dir.js';
import { loadProbeSet, type ProbeRecords } from './probe-set.js';
import { writeAnalysis } from './write-analysis.js';
import { loadTaskProbe, taskAccuracies, type TaskAccuracy, type TaskProbe, type TaskProbeOptions } from './task-probe.js';

export interface RunAnalyzeOptions {
  readonly runDir: string;
  readonly checkpoints: CheckpointChoice;
  readonly probeFiles?: readonly string[];
  /** A VLM run: the image root of --probe's LLaVA files (default: the run's llava source's). */
  readonly images?: string;
  /** Evaluation tasks as the probe set (--probe TASKS): their items' gold texts, one "domain" per task, and their accuracy intact and under DropTop. */
  readonly probeTasks?: Omit<TaskProbeOptions, 'log'>;
  /** Probe documents already read (pipeline analyze --compare: the same documents for every run). */
  readonly probeRecords?: ProbeRecords;
  /** Task items already read (--compare with --probe TASKS). */
  readonly taskProbe?: TaskProbe;
  /** Requests (options) per forward when scoring task accuracy (default 32, as pipeline eval). */
  readonly evalBatchSize?: number;
  readonly docsPerDomain: number;
  /** Probe tokens kept per document (default: the run's data.seqLen). */
  readonly maxTokens?: number;
  readonly batchSize: number;
  readonly windowTokens: number;
  readonly minOccurrences: number;
  /** DropTop-n ablations to run besides the intact model (default [1, 2]; [] for none). */
  readonly dropTop: readonly number[];
  readonly backend?: BackendRequest;
  readonly plots: boolean;
  readonly log?: (s: string) => void;
}

export interface AnalyzeSummary {
  readonly runId: string;
  readonly backend: string;
  readonly steps: readonly number[];
  readonly probeTokens: number;
  readonly files: readonly string[];
  /** Every table's rows, as written. */
  readonly rows: AnalysisRows;
  /** The probe set's source (files, or whose held-out documents). */
  readonly probeSource: string;
  /** Wall seconds of the intact probe passes, and of the whole analysis. */
  readonly probeSeconds: number;
  readonly totalSeconds: number;
  /** Wall seconds per phase: setup (config, tokenizer, probe set, backend), checkpoint loads, expert-weight ANI, intact probe passes, DropTop passes, task accuracy (--probe TASKS), metrics, tables and analysis.md, plots. */
  readonly phases: { readonly setup: number; readonly load: number; readonly weights: number; readonly probe: number; readonly dropTop: number; readonly accuracy: number; readonly metrics: number; readonly write: number; readonly plots: number };
}

export async function runAnalyze(o: RunAnalyzeOptions): Promise<AnalyzeSummary> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  const saved = await readRunConfig(o.runDir);
  const config = validatePipeline(saved.pipeline, join(o.runDir, 'config.yaml'), { algorithms: moeAlgorithms() });
  if (config.model.vlm) return (await import('./run-analyze-vlm.js')).runAnalyzeVlm(o, config, saved.run?.id);
  const runId = saved.run?.id ?? o.runDir.split('/').filter(Boolean).pop()!;
  const steps = await chooseSteps(o.runDir, o.checkpoints);
  const tokenizer = loadTokenizer(join(o.runDir, RUN_TOKENIZER));
  const maxTokens = o.maxTokens ?? config.data.seqLen;
  // The probe set (reading documents, a zstd child process, tokenising) is read while the
  // backend starts and the first checkpoint loads: it is needed only by the first probe pass.
  const inputs = (async () => {
    const taskProbe = o.taskProbe ?? (o.probeTasks ? await loadTaskProbe({ ...o.probeTasks, log }) : undefined);
    // Task items are capped by --limit, not by --docs-per-domain: accuracy needs every item read.
    const probe = await loadProbeSet(config, tokenizer, { ...(o.probeFiles ? { files: o.probeFiles } : {}), docsPerDomain: taskProbe ? Infinity : o.docsPerDomain, maxTokens }, taskProbe?.records ?? o.probeRecords);
    return { taskProbe, probe };
  })();
  inputs.catch(() => undefined); // awaited below; this only keeps a failure from being reported as unhandled meanwhile
  const evalTokenizer = { encode: (t: readonly string[]) => encodeTexts(tokenizer, t), decode: (ids: ArrayLike<number>) => decodeIds(tokenizer, ids) };
  let backend: Awaited<ReturnType<typeof selectBackend>>;
  try {
    backend = await selectBackend(o.backend ?? config.trainer.backend, { matmul: config.trainer.matmul });
  } catch (e) {
    await inputs.catch(() => undefined); // let the probe set's reader finish before reporting
    throw e;
  }
  const phases = { setup: 0, load: 0, weights: 0, probe: 0, dropTop: 0, accuracy: 0, metrics: 0, write: 0, plots: 0 };
  let lap = performance.now();
  /** Adds the seconds since the last lap to a phase. */
  const spent = (phase: keyof typeof phases): void => { const now = performance.now(); phases[phase] += (now - lap) / 1000; lap = now; };
  phases.setup = (lap - t0) / 1000;
  type ProbeInputs = Awaited<typeof inputs> & { readonly tokens: number; readonly domainCounts: ReadonlyMap<string, number> };
  let probeSet: ProbeInputs | undefined;
  /** The probe set, once read: waiting for it counts as setup. */
  const probeInputs = async (): Promise<ProbeInputs> => {
    if (probeSet) return probeSet;
    const { taskProbe, probe } = await inputs;
    const tokens = probe.documents.reduce((s, d) => s + d.length, 0);
    const domainCounts = new Map<string, number>();
    for (const d of probe.domains) domainCounts.set(d, (domainCounts.get(d) ?? 0) + 1);
    log(`probe set: ${probe.documents.length} documents, ${tokens} tokens from ${probe.source} (${probe.read} read, ${probe.leftOut} left out by --docs-per-domain or empty); ${[...domainCounts].map(([d, n]) => `${d} ${n}`).join(', ')}\n`);
    spent('setup');
    return (probeSet = { taskProbe, probe, tokens, domainCounts });
  };

  const probes: CheckpointProbe[] = [];
  let tokenIds: Int32Array | undefined;
  let domains: string[] | undefined;
  for (const step of steps) {
    const { model } = await modelFromCheckpoint(join(o.runDir, 'checkpoints', `step-${step}`), createMoeLayer);
    spent('load');
    try {
      const { probe, taskProbe } = await probeInputs();
      const weightAni = expertWeightAni(await moeLayerWeights(model, aniParameter));
      spent('weights');
      const base = { maxTokens, batchSize: o.batchSize, step, totalSteps: config.trainer.steps };
      const intact = await probeRoutes(model, probe.documents, { ...base, countActiveHidden: true });
      spent('probe');
      tokenIds ??= intact.tokenIds;
      domains ??= Array.from(intact.document, (d) => probe.domains[d]!);
      const nextLogprob = new Map<number, Float32Array>([[0, intact.nextLogprob]]);
      for (const n of o.dropTop) nextLogprob.set(n, (await probeRoutes(model, probe.documents, { ...base, dropTop: n })).nextLogprob);
      spent('dropTop');
      let taskAccuracy: Map<number, TaskAccuracy[]> | undefined;
      if (taskProbe) {
        taskAccuracy = new Map();
        for (const n of [0, ...o.dropTop]) {
          taskAccuracy.set(n, await taskAccuracies(model, taskProbe.loaded, evalTokenizer, { maxTokens: config.data.seqLen, step, totalSteps: config.trainer.steps, batchSize: o.evalBatchSize ?? 32, dropTop: n }));
        }
        spent('accuracy');
      }
      probes.push({ step, layers: intact.layers as readonly LayerRoutes[], nextLogprob, weightAni, ...(taskAccuracy ? { taskAccuracy } : {}) });
      const acc = taskAccuracy ? `; accuracy ${[...taskAccuracy].map(([n, a]) => `${n === 0 ? 'intact' : n === 2 ? 'DropTop-1&2' : `DropTop-${n}`} ${a.map((x) => `${x.task} ${(100 * x.accuracy).toFixed(1)}%`).join(' ')}`).join(', ')}` : '';
      log(`step ${step}: ${intact.layers.length} MoE layers × ${intact.tokens} probe tokens${o.dropTop.length ? `; DropTop ${o.dropTop.join(', ')}` : ''}${acc}\n`);
    } finally {
      model.dispose();
    }
  }
  const { probe, tokens, domainCounts } = await probeInputs();
  if (probes[0]?.layers.length === 0) throw new Error(`${o.runDir}: the model has no MoE layer; there is no routing to analyse`);

  const rows = analyseCheckpoints(probes, { runId, tokenIds: tokenIds ?? [], domains: domains ?? [], windowTokens: o.windowTokens, minOccurrences: o.minOccurrences });
  spent('metrics');
  const written = await writeAnalysis(join(o.runDir, 'analysis'), rows, o.plots, { runId, steps, probe: { documents: probe.documents.length, tokens, source: probe.source, domains: domainCounts } });
  const files = written.files;
  phases.write += written.writeSeconds;
  phases.plots += written.plotSeconds;
  return { runId, backend: backend.name, steps, probeTokens: tokens, files, rows, probeSource: probe.source, probeSeconds: phases.probe, totalSeconds: (performance.now() - t0) / 1000, phases };
}
