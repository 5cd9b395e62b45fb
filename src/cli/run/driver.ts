/**
 * The training operator: `pipeline run`'s driver. Builds the data flow, the backend, the model
 * and its trainer from the pipeline; then loops optimiser steps, pushing a StepEvent per step
 * (1-based steps = steps completed), an EvalEvent every `trainer.evalEvery` steps and a
 * checkpoint every `trainer.checkpointEvery` steps and at the end. Data preparation overlaps
 * compute: tokenisation runs in worker threads and `prefetch` keeps batches ready while a step
 * runs; `msData` is what the step still had to wait.
 */
import { selectBackend } from '../../models/backend.js';
import { GradPool } from '../../models/parallel/grad-pool.js';
import { NonFiniteError } from '../../models/lm/non-finite.js';
import { explainBackendFailure } from '../../models/heap-limit.js';
import type { LmTrainer } from '../../models/lm/trainer.js';
import { bestEncoder } from '../../tokenizer/batch-encoder.js';
import type { Stage, StageState } from '../../streams/stage.js';
import type { TokenBatch } from '../../models/train-types.js';
import type { TrainContext, TrainerDriver } from './train-context.js';
import { buildTrainer } from './build-model.js';
import { dataCountsBetween } from './data-counts.js';
import { documentKey, evalBatches, heldOutDocuments, runTokenizer, trainingFlow } from './data-plan.js';
import { threadCount, workerCount } from './workers.js';
import { RUN_CHECKPOINT_FORMAT, readRunCheckpoint, removeIncompleteCheckpoints, writeRunCheckpoint } from './run-checkpoint.js';

export const trainDriver: TrainerDriver = async (ctx) => {
  const c = ctx.config;
  if (ctx.resumeFromStep !== undefined) {
    const stale = await removeIncompleteCheckpoints(ctx.runDir);
    if (stale.length) ctx.log(`removed incomplete checkpoint${stale.length > 1 ? 's' : ''} ${stale.join(', ')}\n`);
  }
  const heldDocs = await heldOutDocuments(c);
  if (c.trainer.evalEvery > 0 && heldDocs.length === 0) {
    throw new Error('trainer.evalEvery > 0 needs held-out data: set data.heldOut.docs (documents kept out of training) or data.heldOut.files');
  }
  const heldKeys = new Set(heldDocs.map(documentKey));
  const tok = await runTokenizer(c, ctx.runDir, heldKeys, ctx.log);
  const workers = workerCount(c);
  const threads = threadCount(c, workers);
  const backend = await selectBackend(c.trainer.backend, { threads, matmul: c.trainer.matmul });
  await ctx.recordBackend(backend.name, backend.reason);
  if (workers > 1 && backend.name !== 'wasm' && backend.name !== 'cpu') {
    throw new Error(`trainer.workers: ${workers} data-parallel workers split the step over CPU cores (backends wasm and cpu); the ${backend.name} backend computes on one device: set trainer.workers: 1 (or trainer.backend: wasm)`);
  }
  // Built before the encoder's worker threads exist: a model that cannot be built must not leave them running.
  const trainer = buildTrainer(c, tok.vocabSize, workers);
  let pool: GradPool | undefined;
  let encoder: ReturnType<typeof bestEncoder> | undefined;
  let stage: Stage<TokenBatch> | undefined;
  try {
    if (workers > 1) {
      // This thread is one of the ranks; each worker thread builds its replica and starts its own backend.
      pool = await GradPool.start(trainer.model, { workers: workers - 1, backend: backend.name });
      trainer.useWorkers(pool);
    }
    encoder = bestEncoder(tok.json);
    let resumeState: StageState | undefined;
    if (ctx.resumeFromStep !== undefined) resumeState = (await readRunCheckpoint(ctx.checkpointDir(ctx.resumeFromStep), trainer)).flow;
    const evalSet = c.trainer.evalEvery > 0 ? await evalBatches(c, heldDocs, encoder, tok) : [];
    ctx.log(
      `backend ${backend.name}${threads > 1 && backend.name === 'wasm' ? ` (${threads} threads)` : ''}; tokenizer ${tok.vocabSize} ids (${tok.origin}, ${encoder.kind}); ` +
      `model ${(parameterCount(trainer) / 1e6).toFixed(2)}M parameters; ${heldDocs.length} held-out documents` +
      (evalSet.length ? ` → ${evalSet.length} eval batches` : '') + `; ${workersLine(c, workers, trainer)}\n`,
    );
    stage = trainingFlow(c, encoder, tok, heldKeys)(resumeState);
    await loop(ctx, trainer, stage, evalSet);
  } finally {
    await stage?.close?.();
    await encoder?.close();
    await pool?.close(); // also on an error or an early stop: no worker thread outlives the run
    trainer.dispose();
  }
};

async function loop(ctx: TrainContext, trainer: LmTrainer, stage: Stage<TokenBatch>, evalSet: readonly TokenBatch[]): Promise<void> {
  const c = ctx.config;
  const total = c.trainer.steps;
  const { evalEvery, checkpointEvery } = c.trainer;
  let lastCheckpoint = ctx.resumeFromStep ?? -1;
  const checkpoint = async (step: number, flow: StageState): Promise<string> => {
    const dir = ctx.checkpointDir(step);
    // Already written for this state (a NaN right after a checkpoint, or right after a resume): keep it, never replace it.
    if (step === lastCheckpoint) return dir;
    await ctx.flush(); // every statistic up to `step` is on disk before the checkpoint exists
    await writeRunCheckpoint(dir, trainer, {
      format: RUN_CHECKPOINT_FORMAT, step, flow,
      rng: { data: 'in flow state', trainerSeed: c.trainer.seed }, time: new Date().toISOString(),
    });
    lastCheckpoint = step;
    await ctx.emit({ kind: 'checkpoint', runId: ctx.runId, step, dir, time: Date.now() });
    return dir;
  };
  const it = stage[Symbol.asyncIterator]();
  let msSinks = 0;
  try {
    while (trainer.step < total && !ctx.signal.aborted) {
      const t0 = performance.now(); // ms_data: saving the flow position + waiting for the batch
      const before = stage.state(); // the position before this step's batch: a failed step is checkpointed here
      const next = await it.next();
      // What the sources read (and skipped) up to this batch: carried in the flow state, so a resume reports the same.
      const data = dataCountsBetween(before, stage.state());
      const msData = performance.now() - t0;
      if (next.done) throw new Error(`the data flow ended after ${trainer.step} steps`); // epochs repeat: should not happen
      const batch = next.value;
      let res;
      try {
        res = await trainer.trainStep(batch);
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw explainBackendFailure(e, parameterCount(trainer), `step ${trainer.step + 1}`);
        // The trainer leaves the weights untouched on NaN/Inf: keep the last good state, then stop.
        const good = trainer.step;
        const dir = await checkpoint(good, before);
        const where = e.where.slice(0, 3).join(', ') + (e.where.length > 3 ? ` (+${e.where.length - 3} more)` : '');
        throw new Error(`step ${good + 1}: non-finite values in ${where}. Training stopped; the last good state (step ${good}) is checkpointed in ${dir}. ` +
          `Resume with: pipeline run --resume ${ctx.runDir} --set trainer.lr=<smaller>`, { cause: e });
      }
      const step = res.step + 1; // events count steps completed (1-based)
      msSinks = await ctx.emit({
        kind: 'step', runId: ctx.runId, result: { ...res, step },
        timing: { msData, msCompute: res.msCompute, msStats: res.msStats, msSinks },
        batches: [batch], totalSteps: total, time: Date.now(), data,
      });
      if (evalEvery > 0 && (step % evalEvery === 0 || step === total)) {
        let loss = 0, correct = 0, tokens = 0;
        for (const b of evalSet) {
          const r = await trainer.evalStep(b);
          loss += r.loss * r.tokens; correct += r.accuracy * r.tokens; tokens += r.tokens;
        }
        const mean = loss / tokens;
        await ctx.emit({ kind: 'eval', runId: ctx.runId, step, result: { loss: mean, perplexity: Math.exp(mean), accuracy: correct / tokens, tokens }, time: Date.now() });
      }
      if ((checkpointEvery > 0 && step % checkpointEvery === 0) || step === total) await checkpoint(step, stage.state());
    }
    // Interrupted (Ctrl-C): keep what was trained so the run can be resumed from here.
    if (trainer.step > lastCheckpoint && trainer.step > 0) await checkpoint(trainer.step, stage.state());
  } finally {
    await it.return?.();
  }
}

function workersLine(c: TrainContext['config'], workers: number, trainer: LmTrainer): string {
  if (workers === 1) return 'training on 1 thread (trainer.workers: 1)';
  const micro = trainer.config.microBatches ?? 1;
  return `${workers} data-parallel workers (this thread and ${workers - 1} worker thread${workers > 2 ? 's' : ''}; ${micro} micro-batches of ${(c.data.batchSize * c.trainer.accumulate) / micro} rows per step)`;
}

function parameterCount(trainer: LmTrainer): number {
  let n = 0;
  for (const v of trainer.model.params.values()) n += v.size;
  return n;
}
