/** The model and its trainer from the pipeline's `model` and `trainer` sections. */
import { microBatchesFor, type PipelineConfig } from '../../config/schema.js';
import type { LmConfig } from '../../models/lm/config.js';
import { LmTrainer } from '../../models/lm/trainer.js';
import { TransformerLM } from '../../models/lm/transformer-lm.js';
import { createMoeLayer } from '../../models/moe/registry.js';
import type { Json } from '../../streams/stage.js';

export function lmConfigOf(config: PipelineConfig, tokenizerVocab: number): LmConfig {
  const m = config.model;
  const vocabSize = m.vocab === 'auto' ? tokenizerVocab : m.vocab;
  if (vocabSize < tokenizerVocab) throw new Error(`model.vocab: ${vocabSize} is smaller than the tokenizer's ${tokenizerVocab} ids; use "auto" or at least ${tokenizerVocab}`);
  const base = { vocabSize, dModel: m.dModel, nLayers: m.nLayers, nHeads: m.nHeads, headDim: m.headDim, seed: config.trainer.seed };
  if (m.dense || !m.moe) return { ...base, ffn: { kind: 'dense', hidden: Math.round(m.ffMultiplier * m.dModel) } };
  const moe = m.moe;
  return {
    ...base,
    ffn: {
      kind: 'moe', algorithm: moe.algorithm, nExperts: moe.nExperts, topK: moe.topK, expertSize: moe.expertSize, expert: moe.expert, every: moe.every,
      options: moe.options as Record<string, Json>,
      ...(moe.capacityFactor !== undefined ? { capacityFactor: moe.capacityFactor } : {}),
    },
  };
}

/** `workers` > 1: the step's rows are split into micro-batches for the data-parallel workers (microBatchesFor). */
export function buildTrainer(config: PipelineConfig, tokenizerVocab: number, workers = 1): LmTrainer {
  const t = config.trainer;
  let model: TransformerLM;
  try {
    model = new TransformerLM(lmConfigOf(config, tokenizerVocab), createMoeLayer);
  } catch (e) {
    throw new Error(`model: cannot build the model from this pipeline: ${(e as Error).message}`, { cause: e });
  }
  return new LmTrainer(model, {
    lr: t.lr, warmupSteps: t.warmupSteps, totalSteps: t.steps, minLrMultiplier: t.minLrRatio,
    gradClip: t.gradClip > 0 ? t.gradClip : null,
    // trainer.accumulate = micro-batches per step: one batch of batchSize·accumulate rows, split by the trainer;
    // with workers, into a multiple of the worker count (the same rows per step).
    microBatches: workers > 1 ? microBatchesFor(t.accumulate, workers) : t.accumulate,
    recompute: t.recompute,
    adamw: { beta1: t.betas[0], beta2: t.betas[1], eps: 1e-8, weightDecay: t.weightDecay },
  });
}
