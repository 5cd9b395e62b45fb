/**
 * The pipeline YAML schema (docs/run.md is its reference). Every section has defaults, so
 * a pipeline states only what differs; the resolved config (defaults filled in) is what a
 * run saves as config.yaml.
 */
import { z } from 'zod';
import { bool, fraction, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber, text, textList } from './fields.js';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

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
  files: textList(),
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

const model = z.strictObject({
  vocab: z.union([positiveInt(), z.literal('auto')], { error: 'expected a positive integer or "auto" (the tokenizer\'s size)' }).prefault('auto'),
  dModel: positiveInt(),
  nLayers: positiveInt(),
  nHeads: positiveInt(),
  headDim: positiveInt(),
  dense: bool().prefault(false),
  ffMultiplier: positiveNumber().prefault(2),
  moe: moe.optional(),
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
  evalEvery: nonNegativeInt().prefault(0),
  evalBatches: positiveInt().prefault(4),
  checkpointEvery: nonNegativeInt().prefault(0),
  backend: oneOf(BACKENDS).prefault('auto'),
  seed: nonNegativeInt().prefault(42),
});

const stats = z.strictObject({
  tokenSampleRate: fraction().prefault(0.01),
  flushEveryRows: positiveInt().prefault(100_000),
  flushEverySeconds: nonNegativeNumber().prefault(30),
  arrowStream: bool().prefault(false),
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
}).superRefine((cfg, ctx) => {
  // Cross-field rules only compare values that passed their own checks.
  const m = cfg.model;
  const ok = (x: unknown): x is number => typeof x === 'number' && x > 0;
  if (!m.dense && !m.moe) ctx.addIssue({ code: 'custom', path: ['model', 'moe'], message: 'expected a moe section (or model.dense: true for the dense baseline)', input: undefined });
  if (m.moe && ok(m.moe.topK) && ok(m.moe.nExperts) && m.moe.topK > m.moe.nExperts) ctx.addIssue({ code: 'custom', path: ['model', 'moe', 'topK'], message: `expected at most nExperts (${m.moe.nExperts})`, input: m.moe.topK });
  if (m.moe && ok(m.moe.every) && ok(m.nLayers) && m.moe.every > m.nLayers) ctx.addIssue({ code: 'custom', path: ['model', 'moe', 'every'], message: `expected at most nLayers (${m.nLayers})`, input: m.moe.every });
  const held = cfg.data.heldOut;
  if (ok(cfg.trainer.evalEvery) && held && !(held.docs > 0) && !(held.files && held.files.length > 0)) ctx.addIssue({ code: 'custom', path: ['trainer', 'evalEvery'], message: 'evaluation needs held-out data: set data.heldOut.docs (documents kept out of training) or data.heldOut.files, or evalEvery: 0', input: cfg.trainer.evalEvery });
  // A rule between two keys is one sentence naming both (so the loader can name the --set of either).
  if (ok(cfg.trainer.steps) && ok(cfg.trainer.warmupSteps) && cfg.trainer.warmupSteps > cfg.trainer.steps) ctx.addIssue({ code: 'custom', path: ['trainer', 'warmupSteps'], message: `trainer.warmupSteps (${cfg.trainer.warmupSteps}) must be at most trainer.steps (${cfg.trainer.steps})`, input: cfg.trainer.warmupSteps, params: { sentence: true } });
});

function msg(m: string) { return { error: m }; }

export type PipelineConfig = z.output<typeof pipelineSchema>;
export type PipelineInput = z.input<typeof pipelineSchema>;
