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
 * ratio = reference seconds / analysis seconds, from the fastest repetition of each.
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

/** N checkpoint loads and plain forwards of the probe windows, batched and padded like probeRoutes. */
async function reference(passes: number): Promise<number> {
  const t0 = performance.now();
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
  return (performance.now() - t0) / 1000;
}

interface Analysed { readonly seconds: number; readonly phases: Record<string, number> }
async function analysis(dropTop: number[]): Promise<Analysed> {
  const s = await runAnalyze({ runDir: runDir!, checkpoints: 'all', ...(probeFiles.length ? { probeFiles } : {}), docsPerDomain: DOCS_PER_DOMAIN, batchSize, windowTokens: 512, minOccurrences: 3, dropTop, plots: false });
  return { seconds: s.totalSeconds, phases: s.phases };
}

await reference(1);
await analysis([]);
const ref1: number[] = [];
const ref3: number[] = [];
const intact: Analysed[] = [];
const ablated: Analysed[] = [];
for (let r = 0; r < reps; r++) {
  ref1.push(await reference(1));
  intact.push(await analysis([]));
  ref3.push(await reference(3));
  ablated.push(await analysis([1, 2]));
}
const min = (xs: readonly number[]): number => Math.min(...xs);
const best = (xs: readonly Analysed[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const [bi, ba] = [best(intact), best(ablated)];
console.log(JSON.stringify({
  bench: 'analyze', backend: backend.name, runDir, probe: probe.source, checkpoints: steps, probeDocuments: probe.documents.length, probeWindows: windows.length, probeTokens, batchSize, reps,
  referenceSeconds: min(ref1), analysisSeconds: bi.seconds, analysisPhases: bi.phases,
  ratio: min(ref1) / bi.seconds,
  referenceSeconds3: min(ref3), analysisWithDropTopSeconds: ba.seconds, analysisWithDropTopPhases: ba.phases,
  ratioWithDropTop: min(ref3) / ba.seconds,
  target: 0.8,
  all: { reference: ref1, analysis: intact.map((x) => x.seconds), reference3: ref3, analysisWithDropTop: ablated.map((x) => x.seconds) },
}, null, 2));
