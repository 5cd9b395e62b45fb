/**
 * Analysis speed as JSON (issue 12: analysing N checkpoints costs about N forward passes of the
 * probe set plus the metric computation; target ratio ≥ 0.8). Measured in this one process,
 * alternating, `reps` times each, after one warm-up of both:
 *  - reference: for each of the run's N checkpoints, load it and run a plain forward
 *    (`training: false`) over the same probe windows, batched and padded as the probe pass
 *    does, reading back one scalar per batch (the least a forward can return);
 *  - analysis: `runAnalyze` end to end without the DropTop passes and without plots (probe set,
 *    checkpoint loads, probe passes with route capture, every metric, Parquet and analysis.md);
 *  - analysis with the DropTop-1 and DropTop-1&2 passes, against 3N reference passes.
 * ratio = reference seconds / analysis seconds, from the fastest repetition of each (wall clock:
 * the target). On a shared machine the wall clock carries other processes' load, so each side's
 * CPU seconds (this process's user + system time, `process.cpuUsage`; a zstd child reading the
 * probe set is not counted) are printed too, with `cpuRatio` from the least of each.
 * The analysis is written to RUN_DIR/analysis/ as the verb would.
 * Usage: node dist/bench/analyze.js RUN_DIR [batch=8] [reps=3] [PROBE_FILES...] (default probe: the run's held-out documents)
 */
import { join } from 'node:path';
import { loadProbeSet } from '../src/cli/analyze/probe-set.js';
import { runAnalyze } from '../src/cli/analyze/run-analyze.js';
import { RUN_TOKENIZER } from '../src/cli/run/data-plan.js';
import { checkpointSteps, readRunConfig } from '../src/cli/shared/run-dir.js';
import { validatePipeline } from '../src/config/load.js';
import { selectBackend } from '../src/models/backend.js';
import { modelFromCheckpoint } from '../src/models/checkpoint/load-lm-weights.js';
import { createMoeLayer, moeAlgorithms } from '../src/models/moe/registry.js';
import { tf } from '../src/models/tf.js';
import { loadTokenizer } from '../src/tokenizer/tokenizer.js';

const [runDir, batchArg = '8', repsArg = '3', ...probeFiles] = process.argv.slice(2);
if (!runDir) {
  console.error('usage: node dist/bench/analyze.js RUN_DIR [batch=8] [reps=3] [PROBE_FILES...]');
  process.exit(2);
}
const batchSize = Number(batchArg);
const reps = Number(repsArg);
const DOCS_PER_DOMAIN = 32;
const QUANTUM = 32;

const saved = await readRunConfig(runDir);
const config = validatePipeline(saved.pipeline, join(runDir, 'config.yaml'), { algorithms: moeAlgorithms() });
const backend = await selectBackend(config.trainer.backend);
const steps = await checkpointSteps(runDir);
const maxTokens = config.data.seqLen;
const probe = await loadProbeSet(config, loadTokenizer(join(runDir, RUN_TOKENIZER)), { ...(probeFiles.length ? { files: probeFiles } : {}), docsPerDomain: DOCS_PER_DOMAIN, maxTokens });
const windows = probe.documents.flatMap((d) => Array.from({ length: Math.ceil(d.length / maxTokens) }, (_, i) => d.subarray(i * maxTokens, (i + 1) * maxTokens)));
const probeTokens = windows.reduce((s, w) => s + w.length, 0);

interface Timed { readonly seconds: number; readonly cpuSeconds: number }
/** Wall and CPU seconds of `f`. */
async function timed<T>(f: () => Promise<T>): Promise<Timed & { readonly value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** N checkpoint loads and plain forwards of the probe windows, batched and padded like probeRoutes. */
async function plainPasses(passes: number): Promise<void> {
  for (const step of steps) {
    const { model } = await modelFromCheckpoint(join(runDir!, 'checkpoints', `step-${step}`), createMoeLayer);
    try {
      for (let p = 0; p < passes; p++) {
        for (let w0 = 0; w0 < windows.length; w0 += batchSize) {
          const group = windows.slice(w0, w0 + batchSize);
          const T = Math.min(maxTokens, Math.ceil(Math.max(...group.map((w) => w.length)) / QUANTUM) * QUANTUM);
          const inputs = new Int32Array(group.length * T);
          group.forEach((w, b) => inputs.set(w, b * T));
          const out = tf.tidy(() => tf.sum(model.forward(tf.tensor1d(inputs, 'int32'), group.length, T, { training: false, step, totalSteps: config.trainer.steps }).logits));
          await out.data();
          out.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  }
}
const reference = (passes: number): Promise<Timed> => timed(() => plainPasses(passes));

interface Analysed extends Timed { readonly phases: Record<string, number> }
async function analysis(dropTop: number[]): Promise<Analysed> {
  const t = await timed(() => runAnalyze({ runDir: runDir!, checkpoints: 'all', ...(probeFiles.length ? { probeFiles } : {}), docsPerDomain: DOCS_PER_DOMAIN, batchSize, windowTokens: 512, minOccurrences: 3, dropTop, plots: false }));
  return { seconds: t.seconds, cpuSeconds: t.cpuSeconds, phases: t.value.phases };
}

await reference(1);
await analysis([]);
const ref1: Timed[] = [];
const ref3: Timed[] = [];
const intact: Analysed[] = [];
const ablated: Analysed[] = [];
for (let r = 0; r < reps; r++) {
  ref1.push(await reference(1));
  intact.push(await analysis([]));
  ref3.push(await reference(3));
  ablated.push(await analysis([1, 2]));
}
const min = (xs: readonly Timed[], k: keyof Timed = 'seconds'): number => Math.min(...xs.map((x) => x[k]));
const best = (xs: readonly Analysed[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const [bi, ba] = [best(intact), best(ablated)];
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({
  bench: 'analyze', backend: backend.name, runDir, probe: probe.source, checkpoints: steps, probeDocuments: probe.documents.length, probeWindows: windows.length, probeTokens, batchSize, reps,
  referenceSeconds: min(ref1), analysisSeconds: bi.seconds, analysisPhases: bi.phases,
  ratio: min(ref1) / bi.seconds,
  referenceSeconds3: min(ref3), analysisWithDropTopSeconds: ba.seconds, analysisWithDropTopPhases: ba.phases,
  ratioWithDropTop: min(ref3) / ba.seconds,
  target: 0.8,
  cpuRatio: min(ref1, 'cpuSeconds') / min(intact, 'cpuSeconds'),
  cpuRatioWithDropTop: min(ref3, 'cpuSeconds') / min(ablated, 'cpuSeconds'),
  all: {
    reference: ref1.map((x) => r3(x.seconds)), analysis: intact.map((x) => r3(x.seconds)), reference3: ref3.map((x) => r3(x.seconds)), analysisWithDropTop: ablated.map((x) => r3(x.seconds)),
    referenceCpu: ref1.map((x) => r3(x.cpuSeconds)), analysisCpu: intact.map((x) => r3(x.cpuSeconds)), reference3Cpu: ref3.map((x) => r3(x.cpuSeconds)), analysisWithDropTopCpu: ablated.map((x) => r3(x.cpuSeconds)),
  },
}, null, 2));
