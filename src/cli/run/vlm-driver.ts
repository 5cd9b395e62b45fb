/**
 * `pipeline run`'s driver for a vision-language pipeline (`model.vlm`, docs/vlm-run.md): the
 * llava sources through the pipeline's operators (conversation → image → padBatch) into
 * VlmTrainer steps, with the LM run's event plane (progress, statistics tables, summary),
 * atomic checkpoints and exact resume. A stage starts from the previous stage's checkpoint
 * (`model.vlm.init.from`), optionally upcycled (`init.upcycle`, stage 3); `trainer.trainable`
 * freezes by name. At the end, the held-out answer accuracy (teacher-forced) on
 * `data.heldOut.files` is emitted as an eval event and written to RUN_DIR/heldout.json.
 */
import { copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PipelineConfig } from '../../config/schema.js';
import { selectBackend } from '../../models/backend.js';
import { NonFiniteError } from '../../models/lm/non-finite.js';
import type { LayerRoutingStats } from '../../models/train-types.js';
import {
  answerAccuracy, loadVlmCheckpoint, loadVlmWeights, readVlmConfig, saveVlmCheckpoint, upcycleVlm,
  VisionLanguageModel, VlmTrainer, type VlmBatch, type VlmConfig, type VlmStepResult, type VlmTrainConfig,
} from '../../models/vlm/index.js';
import { assembleFlow } from '../../ops/flow/assemble.js';
import type { FlowStep } from '../../ops/flow/flow-op.js';
import { SOURCE_ITEMS } from '../../ops/flow/chain.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import type { Json, Stage, StageState } from '../../streams/stage.js';
import { fromArray, llava } from '../../streams/index.js';
import type { ImageTextRecord } from '../../streams/llava/image-text-record.js';
import { bestEncoder } from '../../tokenizer/batch-encoder.js';
import { separatorId, tokenizerFromJson, vocabSize } from '../../tokenizer/tokenizer.js';
import { trainTokenizer } from '../../tokenizer/train-bpe.js';
import { lmConfigOf } from './build-model.js';
import { dataCountsBetween } from './data-counts.js';
import { RUN_TOKENIZER, dataFlow, flowContext, flowSteps, type RunTokenizer } from './data-plan.js';
import { removeIncompleteCheckpoints } from './run-checkpoint.js';
import { initCheckpoint } from './vlm-init.js';
import { flatRouting } from './vlm-flat-routing.js';
import { threadCount } from './workers.js';
export { initCheckpoint };
import type { TrainContext, TrainerDriver } from './train-context.js';

export const VLM_RUN_CHECKPOINT_FORMAT = 'moeflow-vlm-run-checkpoint/1';
/** The run's part of a VLM checkpoint (run.json beside the trainer's files). */
interface VlmRunExtra {
  readonly format: typeof VLM_RUN_CHECKPOINT_FORMAT;
  readonly step: number;
  readonly flow: StageState;
  readonly time: string;
}

/** The held-out report (RUN_DIR/heldout.json), also in the summary. */
export interface HeldOutReport {
  readonly metric: 'teacher-forced answer-token accuracy';
  readonly step: number;
  readonly records: number;
  readonly answerTokens: number;
  readonly tokenAccuracy: number;
  /** Rows whose every answer token is the argmax (teacher-forced exact match). */
  readonly rows: number;
  readonly exactMatch: number;
  /** Assistant turns (each answer with its end token) whose every token is the argmax: comparable to majorityBaseline. */
  readonly answers: number;
  readonly answerExactMatch: number;
  readonly loss: number;
  /** Chance: the share of held-out answers equal to the most common training answer (majority baseline). */
  readonly majorityBaseline: number;
  readonly uniformTokenChance: number;
}

export const vlmDriver: TrainerDriver = async (ctx) => {
  const c = ctx.config;
  const v = c.model.vlm!;
  if (ctx.resumeFromStep !== undefined) {
    const stale = await removeIncompleteCheckpoints(ctx.runDir);
    if (stale.length) ctx.log(`removed incomplete checkpoint${stale.length > 1 ? 's' : ''} ${stale.join(', ')}\n`);
  }
  const initDir = v.init.from ? initCheckpoint(v.init.from) : undefined;
  const tok = await vlmTokenizer(c, ctx.runDir, initDir, ctx.log);
  const backend = await selectBackend(c.trainer.backend, { threads: threadCount(c, 1), matmul: c.trainer.matmul });
  await ctx.recordBackend(backend.name, backend.reason);
  const model = await buildVlm(c, tok.vocabSize, initDir);
  const t = c.trainer;
  let trainer: VlmTrainer;
  try {
    trainer = new VlmTrainer(model, vlmTrainConfigOf(c));
  } catch (e) {
    model.dispose();
    throw new Error(`trainer.trainable: ${(e as Error).message}`, { cause: e });
  }
  const encoder = bestEncoder(tok.json);
  let stage: Stage<VlmBatch> | undefined;
  try {
    let resumeState: StageState | undefined;
    if (ctx.resumeFromStep !== undefined) resumeState = (await readVlmRunCheckpoint(ctx.checkpointDir(ctx.resumeFromStep), trainer)).flow;
    let n = 0;
    for (const p of model.params.values()) n += p.size;
    ctx.log(`backend ${backend.name}; tokenizer ${tok.vocabSize} ids (${tok.origin}); VLM ${(n / 1e6).toFixed(2)}M parameters, ` +
      `${trainer.trainable.length} of ${model.params.size} tensors train${initDir ? `; from ${initDir}${v.init.upcycle ? ` upcycled (${v.init.upcycle.algorithm}, E=${v.init.upcycle.nExperts}, K=${v.init.upcycle.topK})` : ''}` : ''}\n`);
    stage = dataFlow(c, flowContext(c, encoder, tok, false))(resumeState) as Stage<VlmBatch>;
    await loop(ctx, trainer, stage);
    if (!ctx.signal.aborted && trainer.step >= t.steps && c.data.heldOut.files?.length) {
      const report = await heldOut(c, trainer, encoder, tok);
      await writeFileAtomic(join(ctx.runDir, 'heldout.json'), Buffer.from(JSON.stringify(report, null, 2) + '\n'));
      await ctx.emit({ kind: 'eval', runId: ctx.runId, step: trainer.step, result: { loss: report.loss, perplexity: Math.exp(report.loss), accuracy: report.tokenAccuracy, tokens: report.answerTokens }, time: Date.now() });
      ctx.log(`held-out (${report.records} records, ${report.metric}): token accuracy ${(100 * report.tokenAccuracy).toFixed(1)}%, ` +
        `answer exact match ${(100 * report.answerExactMatch).toFixed(1)}% of ${report.answers} answers, ${(100 * report.exactMatch).toFixed(1)}% of ${report.rows} rows; chance: majority answer ${(100 * report.majorityBaseline).toFixed(1)}%, uniform token ${(100 * report.uniformTokenChance).toFixed(2)}%\n`);
    }
  } finally {
    await stage?.close?.();
    await encoder.close();
    trainer.model.dispose();
  }
};

/** The run directory a checkpoint folder belongs to (…/RUN/checkpoints/step-N → RUN). */
function runDirOf(checkpoint: string): string {
  return basename(dirname(checkpoint)) === 'checkpoints' ? dirname(dirname(checkpoint)) : checkpoint;
}

export function vlmConfigOf(c: PipelineConfig, vocab: number): VlmConfig {
  const v = c.model.vlm!;
  const tw = v.tower;
  const pm = v.projector.moe;
  return {
    tower: {
      arch: tw.arch, imageSize: tw.imageSize, patchSize: tw.patchSize, hidden: tw.hidden, intermediate: tw.intermediate,
      layers: tw.layers, heads: tw.heads, scales: tw.scales,
      activation: tw.arch === 'clip' ? 'quick_gelu' : 'gelu_pytorch_tanh', layerNormEps: tw.layerNormEps ?? (tw.arch === 'clip' ? 1e-5 : 1e-6),
      ...(tw.moe ? { moe: { algorithm: tw.moe.algorithm, nExperts: tw.moe.nExperts, topK: tw.moe.topK, options: tw.moe.options as Record<string, Json> } } : {}),
    },
    projector: v.projector.kind === 'moe' && pm
      ? { kind: 'moe', algorithm: pm.algorithm, nExperts: pm.nExperts, topK: pm.topK, options: pm.options as Record<string, Json> }
      : { kind: 'mlp2x_gelu' },
    languageModel: lmConfigOf(c, vocab),
    seed: c.trainer.seed,
    maxLength: v.maxLength ?? null,
    textOnlyRows: v.textOnlyRows,
  };
}

/** The VlmTrainer settings of the pipeline's `trainer` section. */
export function vlmTrainConfigOf(c: PipelineConfig): VlmTrainConfig {
  const t = c.trainer;
  return {
    lr: t.lr, warmupSteps: t.warmupSteps, totalSteps: t.steps, minLrMultiplier: t.minLrRatio,
    gradClip: t.gradClip > 0 ? t.gradClip : null, microBatches: t.accumulate,
    trainable: t.trainable ?? ['*'],
    adamw: { beta1: t.betas[0], beta2: t.betas[1], eps: 1e-8, weightDecay: t.weightDecay },
  };
}

/** The stage's model: fresh, or the previous stage's weights (checked to be the same dense model), upcycled for stage 3. */
export async function buildVlm(c: PipelineConfig, vocab: number, initDir: string | undefined): Promise<VisionLanguageModel> {
  const v = c.model.vlm!;
  const cfg = vlmConfigOf(c, vocab);
  const build = (config: VlmConfig): VisionLanguageModel => {
    try {
      return VisionLanguageModel.create(config);
    } catch (e) {
      throw new Error(`model.vlm: cannot build the model from this pipeline: ${(e as Error).message}`, { cause: e });
    }
  };
  if (!initDir) return build(cfg);
  const saved = await readVlmConfig(initDir);
  const model = build(v.init.upcycle ? cfg : { ...cfg, routerSeed: saved.routerSeed } as VlmConfig);
  try {
    await loadVlmWeights(initDir, model);
  } catch (e) {
    model.dispose();
    throw new Error(`model.vlm.init.from: ${initDir} does not fit this pipeline's model (state the previous stage's model sizes): ${(e as Error).message}`, { cause: e });
  }
  if (!v.init.upcycle) return model;
  try {
    return upcycleAsConfigured(c, model);
  } finally {
    model.dispose();
  }
}

/** Stage 3's start: the dense `model` upcycled as `model.vlm.init.upcycle` states (`model` is left as it was). */
export function upcycleAsConfigured(c: PipelineConfig, model: VisionLanguageModel): VisionLanguageModel {
  const u = c.model.vlm!.init.upcycle;
  if (!u) throw new Error('model.vlm.init.upcycle: not set; nothing to upcycle');
  try {
    return upcycleVlm(model, { algorithm: u.algorithm, nExperts: u.nExperts, topK: u.topK, routerSeed: u.routerSeed, options: u.options as Record<string, Json> });
  } catch (e) {
    throw new Error(`model.vlm.init.upcycle: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The run's tokenizer: this run's (a resume), else the previous stage's (init.from's run), else
 * data.tokenizer.path, else trained on the training records' text. Saved as RUN_DIR/tokenizer.json.
 */
export async function vlmTokenizer(c: PipelineConfig, runDir: string, initDir: string | undefined, log: (s: string) => void): Promise<RunTokenizer> {
  const saved = join(runDir, RUN_TOKENIZER);
  let origin: string;
  if (existsSync(saved)) origin = `${saved} (this run's)`;
  else if (initDir && existsSync(join(runDirOf(initDir), RUN_TOKENIZER))) {
    await copyFile(join(runDirOf(initDir), RUN_TOKENIZER), saved);
    origin = `the previous stage's (${runDirOf(initDir)})`;
  } else if ('path' in c.data.tokenizer) {
    await copyFile(c.data.tokenizer.path, saved);
    origin = c.data.tokenizer.path;
  } else {
    const spec = c.data.tokenizer.train;
    log(`training the tokenizer (${spec.vocabSize} pieces on the records' text)…\n`);
    const texts = async function* (): AsyncGenerator<string> {
      for (const s of c.data.sources ?? []) {
        if (s.kind !== 'llava') continue;
        for await (const r of llava({ files: s.files, imageRoot: s.images!, onError: c.data.onError })()) yield r.conversations.map((x) => x.value.replace(/<image>/g, '')).join('\n');
      }
    };
    const trained = await trainTokenizer(texts(), { vocabSize: spec.vocabSize, sampleDocs: spec.sampleDocs });
    await writeFileAtomic(saved, Buffer.from(trained.json));
    origin = `trained on ${trained.sample.docs} records`;
  }
  const json = await readFile(saved, 'utf8');
  const tok = tokenizerFromJson(json);
  return { json, vocabSize: vocabSize(tok), separatorId: separatorId(tok), origin };
}

async function loop(ctx: TrainContext, trainer: VlmTrainer, stage: Stage<VlmBatch>): Promise<void> {
  const c = ctx.config;
  const total = c.trainer.steps;
  const { checkpointEvery } = c.trainer;
  let lastCheckpoint = ctx.resumeFromStep ?? -1;
  const checkpoint = async (step: number, flow: StageState): Promise<void> => {
    if (step === lastCheckpoint) return;
    const dir = ctx.checkpointDir(step);
    await ctx.flush();
    await writeVlmRunCheckpoint(dir, trainer, { format: VLM_RUN_CHECKPOINT_FORMAT, step, flow, time: new Date().toISOString() });
    lastCheckpoint = step;
    await ctx.emit({ kind: 'checkpoint', runId: ctx.runId, step, dir, time: Date.now() });
  };
  const it = stage[Symbol.asyncIterator]();
  let msSinks = 0;
  try {
    while (trainer.step < total && !ctx.signal.aborted) {
      const t0 = performance.now();
      const before = stage.state();
      const next = await it.next();
      const data = dataCountsBetween(before, stage.state());
      const msData = performance.now() - t0;
      if (next.done) throw new Error(`the data flow ended after ${trainer.step} steps`);
      const batch = next.value;
      let res: VlmStepResult;
      try {
        res = await trainer.trainStep(batch);
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw e;
        const good = trainer.step;
        await checkpoint(good, before);
        throw new Error(`step ${good + 1}: non-finite values in ${e.where.slice(0, 3).join(', ')}. Training stopped; the last good state (step ${good}) is checkpointed. ` +
          `Resume with: pipeline run --resume ${ctx.runDir} --set trainer.lr=<smaller>`, { cause: e });
      }
      const step = res.step + 1;
      const aux: Record<string, number> = { language_loss: res.languageLoss, ...res.aux };
      const auxTotal = Object.entries(res.aux).filter(([k]) => k.startsWith('auxiliary_loss')).reduce((a, [, x]) => a + x, 0);
      msSinks = await ctx.emit({
        kind: 'step', runId: ctx.runId,
        result: { step, loss: res.loss, auxTotal, aux, lr: res.lr, gradNorm: res.gradNorm, tokens: res.tokens, flops: 0, msCompute: res.msCompute, msStats: 0, routing: flatRouting(res.routing) },
        timing: { msData, msCompute: res.msCompute, msStats: 0, msSinks },
        batches: [], imageText: { images: res.images, modality: batchModality(batch) }, totalSteps: total, time: Date.now(), data,
      });
      if ((checkpointEvery > 0 && step % checkpointEvery === 0) || step === total) await checkpoint(step, stage.state());
    }
    if (trainer.step > lastCheckpoint && trainer.step > 0) await checkpoint(trainer.step, stage.state());
  } finally {
    await it.return?.();
  }
}

function batchModality(batch: VlmBatch): 'image' | 'text' | 'mixed' {
  const m = (batch as VlmBatch & { modality?: readonly string[] }).modality;
  if (!m || m.length === 0) return batch.imageRows.length ? 'image' : 'text';
  return m.every((x) => x === 'image') ? 'image' : m.every((x) => x === 'text') ? 'text' : 'mixed';
}

async function writeVlmRunCheckpoint(dir: string, trainer: VlmTrainer, extra: VlmRunExtra): Promise<void> {
  const tmp = join(dirname(dir), `${basename(dir)}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await saveVlmCheckpoint(tmp, trainer);
  await writeFile(join(tmp, 'run.json'), JSON.stringify(extra) + '\n');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

async function readVlmRunCheckpoint(dir: string, trainer: VlmTrainer): Promise<VlmRunExtra> {
  const extra = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as VlmRunExtra;
  if (extra.format !== VLM_RUN_CHECKPOINT_FORMAT) throw new Error(`${dir}: not a VLM run checkpoint (run.json format ${JSON.stringify(extra.format)})`);
  await loadVlmCheckpoint(dir, trainer);
  if (trainer.step !== extra.step) throw new Error(`${dir}: trainer step ${trainer.step} does not match the checkpoint's step ${extra.step}`);
  return extra;
}

/** The held-out records through the training operators (the training-only ones left out), scored teacher-forced. */
async function heldOut(c: PipelineConfig, trainer: VlmTrainer, encoder: ReturnType<typeof bestEncoder>, tok: RunTokenizer): Promise<HeldOutReport> {
  const src = (c.data.sources ?? []).find((s) => s.kind === 'llava');
  if (!src) throw new Error('data.heldOut.files: a VLM run scores held-out records of a llava source');
  const records: ImageTextRecord[] = [];
  for await (const r of llava({ files: c.data.heldOut.files!, imageRoot: src.images!, onError: c.data.onError })()) records.push(r);
  const steps: FlowStep[] = [...(src.flow ?? []), ...flowSteps(c.data).filter((s) => s.op !== 'shuffle')];
  const flow = assembleFlow(fromArray(records), steps, flowContext(c, encoder, tok, true), { from: SOURCE_ITEMS.llava });
  let correct = 0, tokens = 0, rowsExact = 0, rows = 0, lossSum = 0, answers = 0, answersExact = 0;
  const stage = flow();
  for await (const b of stage as AsyncIterable<VlmBatch>) {
    const a = await answerAccuracy(trainer.model, b, trainer.step);
    correct += a.correct; tokens += a.tokens; rowsExact += a.rowsExact; rows += a.rows; lossSum += a.lossSum; answers += a.answers; answersExact += a.answersExact;
  }
  await stage.close?.();
  // Chance: the most common answer of the training records, scored on the held-out answers.
  const answerTexts = (rs: Iterable<ImageTextRecord>) => [...rs].flatMap((r) => r.conversations.filter((x) => x.from === 'gpt').map((x) => x.value.trim()));
  const trainAnswers: string[] = [];
  for await (const r of llava({ files: src.files, imageRoot: src.images!, onError: 'skip' })()) trainAnswers.push(...answerTexts([r]));
  const freq = new Map<string, number>();
  for (const a of trainAnswers) freq.set(a, (freq.get(a) ?? 0) + 1);
  const top = [...freq].sort((a, b) => b[1] - a[1])[0]?.[0];
  const held = answerTexts(records);
  return {
    metric: 'teacher-forced answer-token accuracy', step: trainer.step, records: records.length,
    answerTokens: tokens, tokenAccuracy: tokens ? correct / tokens : 0, rows, exactMatch: rows ? rowsExact / rows : 0, answers, answerExactMatch: answers ? answersExact / answers : 0,
    loss: tokens ? lossSum / tokens : NaN,
    majorityBaseline: held.length ? held.filter((a) => a === top).length / held.length : 0,
    uniformTokenChance: 1 / tok.vocabSize,
  };
}
