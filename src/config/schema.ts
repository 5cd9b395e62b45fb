/**
 * The pipeline YAML schema (docs/run.md is its reference). Every section has defaults, so
 * a pipeline states only what differs; the resolved config (defaults filled in) is what a
 * run saves as config.yaml.
 */
import { z } from 'zod';
import { dataFlowProblems, flowSchema, sourceSchema } from './flow-schema.js';
import { bool, fraction, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber, text, textList } from '../base/fields.js';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export const MATMULS = ['auto', 'onnxruntime', 'xnnpack'] as const;

const tokenizer = z.union([
  z.strictObject({ path: text() }),
  z.strictObject({
    train: z.strictObject({
      vocabSize: positiveInt().prefault(8000),
      sampleDocs: positiveInt().prefault(2000),
    }).prefault({}),
  }),
], { error: 'expected {path: FILE} or {train: {vocabSize, sampleDocs}}' });

const data = z.strictObject({
  /** Training files (one source), or `sources` (several, mixed by weight). */
  files: textList().optional(),
  sources: z.array(sourceSchema, { error: 'expected a list of sources, e.g. [{files: [...], weight: 1}]' }).min(1, { error: 'expected at least one source' }).optional(),
  onError: oneOf(['fail', 'skip']).prefault('fail'),
  shuffleBuffer: nonNegativeInt().prefault(1000),
  seed: nonNegativeInt().prefault(1234),
  weights: z.record(z.string(), nonNegativeNumber(), { error: 'expected a map of domain name → weight' }).optional(),
  tokenizer: tokenizer.prefault({ train: {} }),
  seqLen: positiveInt().prefault(1024),
  batchSize: positiveInt().prefault(64),
  heldOut: z.strictObject({
    files: textList().optional(),
    docs: nonNegativeInt().prefault(0),
  }).prefault({}),
  /** The data operators in order; absent = the default chain (src/ops/flow/default-flow.ts). */
  flow: flowSchema.optional(),
}).superRefine((d, ctx) => {
  for (const p of dataFlowProblems(d)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message, input: p.input });
}).transform((d) => {
  // With a flow, data.shuffleBuffer states what the flow does (so a saved config reads back the same).
  if (!d.flow) return d;
  const shuffle = d.flow.find((s) => s.op === 'shuffle');
  return { ...d, shuffleBuffer: typeof shuffle?.['bufferSize'] === 'number' ? shuffle['bufferSize'] : 0 };
});

const moe = z.strictObject({
  algorithm: text(),
  nExperts: positiveInt(),
  topK: positiveInt(),
  expertSize: positiveInt(),
  expert: oneOf(['auto', 'gelu-mlp', 'relu-kv']).prefault('auto'),
  every: positiveInt().prefault(1),
  capacityFactor: positiveNumber().optional(),
  options: z.record(z.string(), z.unknown(), { error: 'expected a map of LibMoE option name → value' }).prefault({}),
});

/**
 * The vision-language model (docs/vlm-run.md): `model.vlm` makes the run a VLM run; the rest of
 * `model` (dModel, nLayers, …) is its language model. Stage settings: `init` (the previous
 * stage's checkpoint by path, and sparse upcycling for stage 3); freezing is `trainer.trainable`.
 */
const vlmMoe = z.strictObject({
  algorithm: text(),
  nExperts: positiveInt(),
  topK: positiveInt(),
  options: z.record(z.string(), z.unknown(), { error: 'expected a map of LibMoE option name → value' }).prefault({}),
});
const vlm = z.strictObject({
  tower: z.strictObject({
    arch: oneOf(['clip', 'siglip']),
    imageSize: positiveInt().prefault(224),
    patchSize: positiveInt(),
    hidden: positiveInt(),
    intermediate: positiveInt(),
    layers: positiveInt(),
    heads: positiveInt(),
    scales: z.array(positiveInt(), { error: 'expected a list of S² scales, e.g. [1] or [1, 2]' }).min(1).prefault([1]),
    layerNormEps: positiveNumber().optional(),
    moe: vlmMoe.optional(),
  }),
  projector: z.strictObject({
    kind: oneOf(['mlp2x_gelu', 'moe']).prefault('mlp2x_gelu'),
    moe: vlmMoe.optional(),
  }).prefault({}),
  /** tokenizer_model_max_length: spliced sequences are cut to it; absent: no cut. */
  maxLength: positiveInt().optional(),
  textOnlyRows: oneOf(['zero-features', 'zero-image']).prefault('zero-features'),
  init: z.strictObject({
    /** The previous stage's checkpoint folder, or its run directory (its last checkpoint). */
    from: text().optional(),
    upcycle: z.strictObject({
      algorithm: text(),
      nExperts: positiveInt().prefault(4),
      topK: positiveInt().prefault(2),
      routerSeed: nonNegativeInt().prefault(42),
      options: z.record(z.string(), z.unknown(), { error: 'expected a map of LibMoE option name → value' }).prefault({}),
    }).optional(),
  }).prefault({}),
});

const model = z.strictObject({
  vocab: z.union([positiveInt(), z.literal('auto')], { error: 'expected a positive integer or "auto" (the tokenizer\'s size)' }).prefault('auto'),
  dModel: positiveInt(),
  nLayers: positiveInt(),
  nHeads: positiveInt(),
  headDim: positiveInt(),
  dense: bool().prefault(false),
  ffMultiplier: positiveNumber().prefault(2),
  moe: moe.optional(),
  vlm: vlm.optional(),
});

const trainer = z.strictObject({
  steps: positiveInt(),
  lr: positiveNumber().prefault(2.5e-4),
  minLrRatio: fraction().prefault(0.1),
  warmupSteps: nonNegativeInt().prefault(0),
  weightDecay: nonNegativeNumber().prefault(0.01),
  betas: z.tuple([fraction(), fraction()], { error: 'expected [beta1, beta2]' }).prefault([0.9, 0.999]),
  gradClip: nonNegativeNumber().prefault(0.1),
  accumulate: positiveInt().prefault(1),
  /** Recompute each block's activations in the backward (memory for ~1 more forward of compute). */
  recompute: bool().prefault(false),
  evalEvery: nonNegativeInt().prefault(0),
  evalBatches: positiveInt().prefault(4),
  checkpointEvery: nonNegativeInt().prefault(0),
  backend: oneOf(BACKENDS).prefault('auto'),
  seed: nonNegativeInt().prefault(42),
  /** Data-parallel gradient workers (threads with their own backend and model replica); "auto": one per core. */
  workers: z.union([positiveInt(), z.literal('auto')], { error: 'expected a positive integer or "auto" (one worker per core)' }).prefault(1),
  /** wasm backend: threads of the matrix kernels' pool (tfjs's threaded SIMD binary); "auto": one per core. Same bits as 1. */
  threads: z.union([positiveInt(), z.literal('auto')], { error: 'expected a positive integer or "auto" (one thread per core)' }).prefault(1),
  /** wasm backend: who multiplies matrices. "auto": ONNX Runtime's native GEMM when onnxruntime-node loads, else tfjs-wasm's XNNPACK. */
  matmul: oneOf(MATMULS).prefault('auto'),
  /** VLM runs: name patterns of the parameters that train (`*` spans dots); every other one is frozen. Default all. */
  trainable: textList().optional(),
});

const stats = z.strictObject({
  tokenSampleRate: fraction().prefault(0.01),
  flushEveryRows: positiveInt().prefault(100_000),
  flushEverySeconds: nonNegativeNumber().prefault(30),
  arrowStream: bool().prefault(false),
});

/**
 * Zero-shot evaluation at the end of `pipeline run` (docs/eval.md): the final checkpoint, or
 * every checkpoint with `every: true`, scored on `tasks` from the files in `data`, into the
 * run's eval/ tables. The task names are checked against the task registry when the caller
 * passes it (validatePipeline's `evalTasks`), as router names are.
 */
const evaluation = z.strictObject({
  tasks: textList(),
  /** Folder laid out as ../shared/data/eval (piqa.jsonl, blimp/, ...); relative to the working directory. */
  data: text().prefault('data/eval'),
  /** Items per data file (0: all). */
  limit: nonNegativeInt().prefault(0),
  /** Options (requests) scored per forward. */
  batchSize: positiveInt().prefault(32),
  every: bool().prefault(false),
  onBadRow: oneOf(['fail', 'skip']).prefault('fail'),
  /** Eval-time routing logs (eval/routing, eval/routes); one sequence per forward, so slower. */
  routing: bool().prefault(false),
  routesSample: fraction().prefault(0.05),
});

const out = z.strictObject({
  dir: text().prefault('runs'),
});

export const pipelineSchema = z.strictObject({
  name: text().optional(),
  description: z.string(msg('expected a string')).optional(),
  data,
  model,
  trainer,
  stats: stats.prefault({}),
  out: out.prefault({}),
  eval: evaluation.optional(),
}).superRefine((cfg, ctx) => {
  // Cross-field rules only compare values that passed their own checks.
  const m = cfg.model;
  const ok = (x: unknown): x is number => typeof x === 'number' && x > 0;
  if (!m.dense && !m.moe && !m.vlm) ctx.addIssue({ code: 'custom', path: ['model', 'moe'], message: 'expected a moe section (or model.dense: true for the dense baseline)', input: undefined });
  if (m.moe && ok(m.moe.topK) && ok(m.moe.nExperts) && m.moe.topK > m.moe.nExperts) ctx.addIssue({ code: 'custom', path: ['model', 'moe', 'topK'], message: `expected at most nExperts (${m.moe.nExperts})`, input: m.moe.topK });
  if (m.moe && ok(m.moe.every) && ok(m.nLayers) && m.moe.every > m.nLayers) ctx.addIssue({ code: 'custom', path: ['model', 'moe', 'every'], message: `expected at most nLayers (${m.nLayers})`, input: m.moe.every });
  const v = m.vlm;
  if (v && v.projector.kind === 'moe' && !v.projector.moe) ctx.addIssue({ code: 'custom', path: ['model', 'vlm', 'projector', 'moe'], message: 'expected the projector\'s router {algorithm, nExperts, topK} for kind: moe', input: undefined });
  if (v?.init.upcycle && ok(v.init.upcycle.topK) && ok(v.init.upcycle.nExperts) && v.init.upcycle.topK > v.init.upcycle.nExperts) ctx.addIssue({ code: 'custom', path: ['model', 'vlm', 'init', 'upcycle', 'topK'], message: `expected at most nExperts (${v.init.upcycle.nExperts})`, input: v.init.upcycle.topK });
  if (v?.init.upcycle && !v.init.from) ctx.addIssue({ code: 'custom', path: ['model', 'vlm', 'init', 'from'], message: 'upcycling starts from the dense model: expected init.from (the stage-2 checkpoint folder or run directory)', input: undefined });
  if (cfg.trainer.trainable && !v) ctx.addIssue({ code: 'custom', path: ['trainer', 'trainable'], message: 'only a VLM run (model.vlm) freezes parameters by name', input: cfg.trainer.trainable });
  const d = cfg.data;
  const t = cfg.trainer;
  if (typeof t.workers === 'number' && t.workers > 1 && ok(d.batchSize) && ok(t.accumulate)) {
    const problem = workerSplitProblem(d.batchSize, t.accumulate, t.workers);
    if (problem) ctx.addIssue({ code: 'custom', path: ['trainer', 'workers'], message: problem, input: t.workers });
  }
  if (!d.files && !d.sources) ctx.addIssue({ code: 'custom', path: ['data', 'files'], message: 'expected the training files: data.files, or data.sources (several sources with mix weights)', input: undefined });
  if (d.files && d.sources) ctx.addIssue({ code: 'custom', path: ['data', 'sources'], message: 'expected either data.files or data.sources, not both (a source lists its own files)', input: d.sources });
  if (d.sources && d.weights) ctx.addIssue({ code: 'custom', path: ['data', 'weights'], message: 'data.weights mixes the domains of data.files; with data.sources give each source a weight (and domains)', input: d.weights });
  d.flow?.forEach((step, i) => {
    if (step.op === 'pack' && typeof step['seqLen'] === 'number' && step['seqLen'] !== d.seqLen) ctx.addIssue({ code: 'custom', path: ['data', 'flow', i, 'seqLen'], message: `expected data.seqLen (${d.seqLen}): the model and evaluation use data.seqLen; state it once`, input: step['seqLen'] });
    if (step.op === 'batch' && typeof step['size'] === 'number' && step['size'] !== d.batchSize) ctx.addIssue({ code: 'custom', path: ['data', 'flow', i, 'size'], message: `expected data.batchSize (${d.batchSize}): evaluation batches use data.batchSize; state it once`, input: step['size'] });
  });
  const held = cfg.data.heldOut;
  if (ok(cfg.trainer.evalEvery) && held && !(held.docs > 0) && !(held.files && held.files.length > 0)) ctx.addIssue({ code: 'custom', path: ['trainer', 'evalEvery'], message: 'evaluation needs held-out data: set data.heldOut.docs (documents kept out of training) or data.heldOut.files, or evalEvery: 0', input: cfg.trainer.evalEvery });
  // A rule between two keys is one sentence naming both (so the loader can name the --set of either).
  if (ok(cfg.trainer.steps) && ok(cfg.trainer.warmupSteps) && cfg.trainer.warmupSteps > cfg.trainer.steps) ctx.addIssue({ code: 'custom', path: ['trainer', 'warmupSteps'], message: `trainer.warmupSteps (${cfg.trainer.warmupSteps}) must be at most trainer.steps (${cfg.trainer.steps})`, input: cfg.trainer.warmupSteps, params: { sentence: true } });
});

function msg(m: string) { return { error: m }; }

export type PipelineConfig = z.output<typeof pipelineSchema>;
export type PipelineInput = z.input<typeof pipelineSchema>;

/** Micro-batches per step with `workers` data-parallel workers: the least multiple of both trainer.accumulate and the worker count. */
export function microBatchesFor(accumulate: number, workers: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return (accumulate * workers) / gcd(accumulate, workers);
}

/** Why a step's batchSize·accumulate rows cannot be split evenly over `workers`, or undefined. */
export function workerSplitProblem(batchSize: number, accumulate: number, workers: number): string | undefined {
  const rows = batchSize * accumulate;
  const micro = microBatchesFor(accumulate, workers);
  return rows % micro === 0 ? undefined
    : `expected a worker count that splits the step's ${rows} rows (data.batchSize ${batchSize} × trainer.accumulate ${accumulate}) into ${micro} equal micro-batches (a multiple of ${workers} and of trainer.accumulate); try a divisor of ${rows}`;
}
