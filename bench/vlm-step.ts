/**
 * Training-step throughput and memory of the quickstart's stage-3 VLM (the upcycled MoE vision
 * half), as JSON. The model, trainer settings and data are the pipeline's own: the YAML
 * (pipelines/vlm-stage3.yaml unless --pipeline) gives the model and trainer; its data flow
 * (conversation → image → padBatch on fixtures/llava-synthetic) gives the batches; the tokenizer
 * is what stage 1 trains (its pipeline: vlm-stage1.yaml beside the stage-3 one, unless
 * --tokenizer-pipeline), as the quickstart's stage 3 inherits it. Weights are fresh (stage 2's
 * dense model from the seeds, upcycled as `model.vlm.init.upcycle` states): a step costs the
 * same whatever the weights.
 *
 * Usage: node dist/bench/vlm-step.js [backend=wasm|cpu] [steps=6] [--warmup 2]
 *          [--pipeline FILE] [--tokenizer-pipeline FILE] [--set key=value ...]
 *
 * Reported (`timed` steps after `warmup` untimed ones and one memory step):
 *   images/s          images through the tower per second of step time
 *   textTokens/s      the batch's real text tokens (attention mask 1, the <image> placeholder excluded)
 *   splicedTokens/s   the decoder's real positions after the splice: text tokens + P feature rows per image
 *   targetTokens/s    positions the language loss is over (answers)
 *   moe               time inside the MoE layers (every tower MLP and the projector), forward and
 *                     backward, by timing the layers' calls and their ops' gradient functions
 *                     (bench/moe-time.ts); share = that ÷ step time. The AdamW update of their
 *                     parameters is not included (parameterShare says what share of it is theirs).
 *   dense             the same steps on the dense model the MoE was upcycled from (stage 2's shape),
 *                     one dense step after each MoE step so load drift hits both; moeOverDense = the
 *                     median of the per-pair ratios.
 *   memory            tfjs's peak of live tensor bytes during one step (tf.profile), the live bytes
 *                     between steps (weights, AdamW moments), the wasm heap's size (it only grows: the
 *                     peak reserved; its limit is 4 GiB), the process's RSS and peak RSS. Taken before
 *                     the dense model exists.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../src/config/load.js';
import { dataFlow, flowContext } from '../src/cli/run/data-plan.js';
import { buildVlm, upcycleAsConfigured, vlmTokenizer, vlmTrainConfigOf } from '../src/cli/run/vlm-driver.js';
import { selectBackend } from '../src/models/backend.js';
import { TRAINED_PARAM_BYTES, FROZEN_PARAM_BYTES, WASM_HEAP_LIMIT_BYTES } from '../src/models/heap-limit.js';
import { tf } from '../src/models/tf.js';
import { VlmTrainer, type VisionLanguageModel, type VlmBatch } from '../src/models/vlm/index.js';
import { IMAGE_TOKEN_INDEX } from '../src/models/vlm/splice/constants.js';
import type { Stage } from '../src/streams/stage.js';
import { bestEncoder } from '../src/tokenizer/batch-encoder.js';
import { median, round } from './matmul-rate.js';
import { MoeTimer } from './moe-time.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sets = args.flatMap((a, i) => (a === '--set' && args[i + 1] ? [args[i + 1]!] : []));
const valued = new Set(['--warmup', '--pipeline', '--tokenizer-pipeline', '--set']);
const positional = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
const request = positional[0] ?? 'wasm';
const steps = Number(positional[1] ?? 6);
const warmup = Number(flag('--warmup') ?? 2);
// The MoE timing reads wall time around kernels: only the synchronous backends give compute time.
if (request !== 'wasm' && request !== 'cpu') throw new Error(`vlm-step: backend ${request}: wasm or cpu (the MoE timing needs a synchronous backend)`);
if (!(Number.isInteger(steps) && steps >= 1 && Number.isInteger(warmup) && warmup >= 0)) throw new Error('vlm-step: steps ≥ 1 and --warmup ≥ 0, integers');

const root = fileURLToPath(new URL('../..', import.meta.url));
const pipelineFile = resolve(flag('--pipeline') ?? join(root, 'pipelines', 'vlm-stage3.yaml'));
const tokenizerFile = resolve(flag('--tokenizer-pipeline') ?? join(dirname(pipelineFile), 'vlm-stage1.yaml'));
// The pipelines name their fixtures relative to the repository root.
process.chdir(root);

const load = (): number[] => loadavg().map((x) => round(x));
const loadBefore = load();
const backend = await selectBackend(request);
const c = (await loadPipeline(pipelineFile, sets)).config;
if (!c.model.vlm) throw new Error(`${pipelineFile}: not a VLM pipeline (no model.vlm)`);

// --- the batches: the pipeline's own data flow, read before any timing ---
const tmp = await mkdtemp(join(tmpdir(), 'vlm-step-'));
const tok = await vlmTokenizer((await loadPipeline(tokenizerFile)).config, tmp, undefined, (s) => process.stderr.write(s));
await rm(tmp, { recursive: true, force: true });
const encoder = bestEncoder(tok.json);
const batches: VlmBatch[] = [];
{
  const stage = dataFlow(c, flowContext(c, encoder, tok, false))() as Stage<VlmBatch>;
  for await (const b of stage) {
    batches.push(b);
    if (batches.length >= warmup + 1 + steps) break;
  }
  await stage.close?.();
  await encoder.close();
}
const batchAt = (i: number): VlmBatch => batches[i % batches.length]!;

// --- the stage-3 model: stage 2's dense VLM from the seeds, upcycled as the pipeline states ---
const dense0 = await buildVlm(c, tok.vocabSize, undefined);
const moe = c.model.vlm.init.upcycle ? upcycleAsConfigured(c, dense0) : dense0;
if (moe !== dense0) dense0.dispose();
const moeLayers = [...moe.tower.moeLayers, ...(moe.projector.moeLayer ? [moe.projector.moeLayer] : [])];
const trainConfig = vlmTrainConfigOf(c);
const trainer = new VlmTrainer(moe, trainConfig);
for (let i = 0; i < warmup; i++) await trainer.trainStep(batchAt(i));

// --- memory: one profiled step (untimed), before anything else is allocated ---
const wasmHeapBytes = (): number | null => {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  return wasm ? wasm.HEAPU8.buffer.byteLength : null;
};
let memStep = 0;
const profile = await tf.profile(async () => { memStep = (await trainer.trainStep(batchAt(warmup))).loss; });
const trainable = new Set(trainer.trainable);
let trainableParams = 0;
for (const [name, v] of moe.params) if (trainable.has(name)) trainableParams += v.size;
const memory = {
  peakLiveBytes: profile.peakBytes,
  liveBytesBetweenSteps: tf.memory().numBytes,
  weightsGradsMomentsBytes: TRAINED_PARAM_BYTES * trainableParams + FROZEN_PARAM_BYTES * (moe.parameterCount() - trainableParams),
  wasmHeapBytes: wasmHeapBytes(),
  wasmHeapLimitBytes: backend.name === 'wasm' ? WASM_HEAP_LIMIT_BYTES : null,
  rssBytes: process.memoryUsage().rss,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  profiledStepLoss: round(memStep, 4),
};

// --- timed steps: MoE step, then the same batch on the dense model ---
const dense = c.model.vlm.init.upcycle ? await buildVlm(c, tok.vocabSize, undefined) : null;
const denseTrainer = dense ? new VlmTrainer(dense, trainConfig) : null;
for (let i = 0; i < warmup && denseTrainer; i++) await denseTrainer.trainStep(batchAt(i));
const timer = new MoeTimer(moeLayers);
const forwardMs = timeForward(moe);
const rows: Record<string, number>[] = [];
const ratios: number[] = [];
for (let i = 0; i < steps; i++) {
  const batch = batchAt(warmup + 1 + i);
  timer.reset();
  forwardMs.reset();
  const t0 = performance.now();
  const r = await trainer.trainStep(batch);
  const ms = performance.now() - t0;
  const row: Record<string, number> = {
    step: r.step, ms: round(ms), forwardMs: round(forwardMs.ms), moeForwardMs: round(timer.forwardMs), moeBackwardMs: round(timer.backwardMs),
    images: r.images, textTokens: textTokens(batch), splicedTokens: r.tokens, targetTokens: r.targetTokens, loss: round(r.loss, 4),
  };
  if (denseTrainer) {
    const t1 = performance.now();
    await denseTrainer.trainStep(batch);
    row.denseMs = round(performance.now() - t1);
    ratios.push(ms / row.denseMs);
  }
  rows.push(row);
}
timer.restore();

const sum = (k: string): number => rows.reduce((a, r) => a + (r[k] ?? 0), 0);
const seconds = sum('ms') / 1000;
const moeParams = moeLayers.reduce((a, l) => a + [...l.variables.values()].reduce((n, v) => n + v.size, 0), 0);
console.log(JSON.stringify({
  bench: 'vlm-step', pipeline: pipelineFile, overrides: sets, backend: backend.name, reason: backend.reason, cpus: cpus().length,
  model: {
    parameters: moe.parameterCount(), trainableParameters: trainableParams, moeLayers: moeLayers.length, moeLayerParameters: moeParams,
    upcycle: c.model.vlm.init.upcycle ?? null, tower: c.model.vlm.tower, vocab: tok.vocabSize,
  },
  data: { batchSize: c.data.batchSize, seqLen: c.data.seqLen, batchesRead: batches.length, tokenizer: tokenizerFile },
  warmup, timed: steps,
  medianMsPerStep: round(median(rows.map((r) => r.ms!))),
  imagesPerSec: round(sum('images') / seconds, 2),
  textTokensPerSec: round(sum('textTokens') / seconds, 1),
  splicedTokensPerSec: round(sum('splicedTokens') / seconds, 1),
  targetTokensPerSec: round(sum('targetTokens') / seconds, 1),
  tokens: 'textTokens: real text tokens of the collated batch (no <image> placeholder); splicedTokens: the decoder\'s real positions (text + image feature rows); targetTokens: positions with a loss',
  moe: moeLayers.length === 0 ? null : {
    method: 'wall time of the MoE layers\' calls and of their ops\' gradient functions (bench/moe-time.ts); the AdamW update is not included',
    forwardMs: round(sum('moeForwardMs')), backwardMs: round(sum('moeBackwardMs')), stepMs: round(sum('ms')),
    shareOfStep: round((sum('moeForwardMs') + sum('moeBackwardMs')) / sum('ms'), 3),
    // Per step, then the median: one step slowed by another job's burst weighs no more than the rest.
    shareOfStepMedian: round(median(rows.map((r) => (r.moeForwardMs! + r.moeBackwardMs!) / r.ms!)), 3),
    forwardShareOfForward: round(sum('moeForwardMs') / sum('forwardMs'), 3),
    parameterShare: round(moeParams / trainableParams, 3),
  },
  dense: denseTrainer ? { medianMsPerStep: round(median(rows.map((r) => r.denseMs!))), moeOverDense: round(median(ratios), 3), parameters: dense!.parameterCount() } : null,
  memory,
  steps: rows,
  loadavgBefore: loadBefore, loadavgAfter: load(),
}, null, 2));
trainer.dispose();
moe.dispose();
denseTrainer?.dispose();
dense?.dispose();

/** Real text tokens of a collated batch: attention mask 1, not the <image> placeholder. */
function textTokens(b: VlmBatch): number {
  let n = 0;
  for (let i = 0; i < b.ids.length; i++) if (b.attentionMask[i] === 1 && b.ids[i] !== IMAGE_TOKEN_INDEX) n++;
  return n;
}

/** Wall time of the model's forward passes (synchronous backends: compute time), reset per step. */
function timeForward(model: VisionLanguageModel): { ms: number; reset(): void } {
  const acc = { ms: 0, reset() { acc.ms = 0; } };
  const original = model.forward.bind(model);
  (model as { forward: VisionLanguageModel['forward'] }).forward = (batch, ctx) => {
    const t0 = performance.now();
    try {
      return original(batch, ctx);
    } finally {
      acc.ms += performance.now() - t0;
    }
  };
  return acc;
}
