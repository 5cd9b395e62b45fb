/**
 * The training core of the LM: one optimiser step per batch (micro-batched gradient
 * accumulation, aux losses summed over layers as LibMoE's LM does, global-norm clipping,
 * AdamW with warm-up + cosine), one evaluation pass, and NaN/Inf detection. Everything the
 * host needs from a step is read back in ONE batch (see Readback).
 */
import { tf, type Variable } from '../tf.js';
import type { Json } from '../../base/json.js';
import type { EvalResult, StepResult, TokenBatch } from '../train-types.js';
import { AdamW, LIBMOE_ADAMW, type AdamWConfig } from '../optim/adamw.js';
import { lrAt, type LrSchedule } from '../optim/schedule.js';
import { correctCount, crossEntropy } from './cross-entropy.js';
import { withProbedRouting } from '../moe/routing-reads.js';
import { microBatchGradsAsync, type MicroBatchStep } from './micro-batch-grads.js';
import { forwardFlops } from './flops.js';
import { clipScale } from '../optim/clip-scale.js';
import { splitBatch, type MicroBatch } from './micro-batch.js';
import { Readback } from './readback.js';
import { StepReadback, type MicroBatchNumbers } from './step-readback.js';
import type { TransformerLM } from './transformer-lm.js';

export interface TrainConfig extends LrSchedule {
  readonly adamw?: AdamWConfig;
  /** Max global gradient norm (LibMoE `grad_clip`: 0.1 at 154M); null = no clipping. */
  readonly gradClip: number | null;
  /** Micro-batches per step (the batch's rows are split evenly). Default 1. */
  readonly microBatches?: number;
  /** Recompute each block's activations in the backward instead of keeping them (recompute-block.ts). Default false. */
  readonly recompute?: boolean;
}

/** One worker's micro-batch: its numbers and its gradients (tensors on the trainer's thread, by parameter name). */
export interface WorkerGradients {
  readonly numbers: MicroBatchNumbers;
  readonly grads: Map<string, tf.Tensor>;
}

/** Data-parallel gradient workers (src/models/parallel/grad-pool.ts implements it). */
export interface GradientWorkers {
  readonly size: number;
  /** The weights the next rounds start from, in the trainer's parameter order. */
  publishWeights(vars: readonly Variable[]): Promise<void>;
  /** Micro-batch w to worker w; results in the same order. */
  round(mbs: readonly MicroBatch[], step: MicroBatchStep): Promise<WorkerGradients[]>;
}

export class LmTrainer {
  /** Optimiser steps completed. */
  step = 0;
  readonly optimizer: AdamW;
  private readonly names: string[];
  /** The parameters in `names` order: what the tape differentiates. */
  private readonly vars: Variable[];
  private readonly byTfName = new Map<string, string>();
  private workers: GradientWorkers | undefined;
  private thisThread = true;

  constructor(
    readonly model: TransformerLM,
    readonly config: TrainConfig,
  ) {
    model.setRecompute(config.recompute ?? false);
    this.optimizer = new AdamW(model.params, config.adamw ?? LIBMOE_ADAMW);
    this.names = [...model.params.keys()];
    this.vars = this.names.map((n) => model.params.get(n)!);
    for (const [name, v] of model.params) this.byTfName.set(v.name, name);
  }

  /**
   * One optimiser step on `batch`: each micro-batch's gradients are summed, the step's numbers
   * are read back once and checked, then the clipped AdamW update is applied. Throws
   * NonFiniteError (weights untouched) if the loss, an activation or a gradient is NaN/Inf.
   */
  async trainStep(batch: TokenBatch): Promise<StepResult> {
    const t0 = performance.now();
    const nMicro = this.config.microBatches ?? 1;
    const readback = new StepReadback();
    const grads = new Map<string, tf.Tensor>();
    try {
      const micro = splitBatch(batch, nMicro, this.model.config.vocabSize);
      const s: MicroBatchStep = { nMicro, step: this.step, totalSteps: this.config.totalSteps };
      if (this.workers) await this.parallelGrads(this.workers, micro, s, grads, readback);
      else {
        for (const mb of micro) {
          for (const [tfName, g] of Object.entries(await microBatchGradsAsync(this.model, this.vars, mb, s, readback))) this.addGrad(grads, this.byTfName.get(tfName)!, g);
        }
      }
      const gradNorm = await this.checkedGradNorm(grads, readback);
      const lr = this.update(grads, gradNorm);
      const result = this.stepResult(batch, readback, lr, gradNorm, t0);
      this.step++;
      return result;
    } finally {
      readback.dispose();
      tf.dispose([...grads.values()]);
    }
  }

  /**
   * Data-parallel: the step's micro-batches go round-robin over the ranks, one per rank per
   * round (micro-batch r·R + k on rank k). With `thisThread`, rank 0 is this thread (it
   * computes while the workers do) and the workers are ranks 1…R−1. Numbers and gradients are
   * added in micro-batch order, as the single-thread loop adds its own, so the step is the same.
   */
  private async parallelGrads(workers: GradientWorkers, micro: readonly MicroBatch[], s: MicroBatchStep, grads: Map<string, tf.Tensor>, readback: StepReadback): Promise<void> {
    await workers.publishWeights(this.vars);
    const ranks = this.workerCount;
    const here = this.thisThread ? 1 : 0;
    for (let r = 0; r < micro.length; r += ranks) {
      // The workers' micro-batches are posted first, then this thread computes its own.
      const remote = workers.round(micro.slice(r + here, r + ranks), s);
      const results: WorkerGradients[] = [];
      try {
        if (here) results.push(await this.localMicroBatch(micro[r]!, s));
        results.push(...(await remote));
        for (const { numbers, grads: g } of results) {
          readback.addMicroBatch(numbers);
          for (const [name, gi] of g) this.addGrad(grads, name, gi);
        }
      } catch (e) {
        // Whatever was not summed yet is released here; what was is released with `grads`.
        const summed = new Set(grads.values());
        for (const { grads: g } of results) tf.dispose([...g.values()].filter((t) => !summed.has(t)));
        await remote.then((rs) => rs.forEach(({ grads: g }) => tf.dispose([...g.values()])), () => undefined);
        throw e;
      }
    }
  }

  /** One micro-batch on this thread, as a worker computes it: its numbers read back on their own. */
  private async localMicroBatch(mb: MicroBatch, s: MicroBatchStep): Promise<WorkerGradients> {
    const rb = new StepReadback();
    try {
      const g = await microBatchGradsAsync(this.model, this.vars, mb, s, rb);
      const grads = new Map(Object.entries(g).map(([tfName, t]) => [this.byTfName.get(tfName)!, t]));
      try {
        return { numbers: await rb.readNumbers(), grads };
      } catch (e) {
        tf.dispose([...grads.values()]);
        throw e;
      }
    } finally {
      rb.dispose();
    }
  }

  /**
   * Computes the micro-batches' gradients with `workers` from the next step on (null: on this
   * thread alone again). `thisThread` (default): this thread computes too, as rank 0, so
   * `workers.size + 1` ranks; otherwise `workers.size`. Micro-batches per step must be a
   * multiple of the ranks, so every round is full and the split of the batch does not depend
   * on the rank count.
   */
  useWorkers(workers: GradientWorkers | null, opts: { thisThread?: boolean } = {}): void {
    const nMicro = this.config.microBatches ?? 1;
    const thisThread = opts.thisThread ?? true;
    const ranks = workers ? workers.size + (thisThread ? 1 : 0) : 1;
    if (workers && nMicro % ranks !== 0) throw new Error(`${ranks} gradient ranks need a multiple of ${ranks} micro-batches per step, not ${nMicro}`);
    this.workers = workers ?? undefined;
    this.thisThread = thisThread;
  }

  /** Threads computing gradients: the workers, and this thread unless it only coordinates (1 without workers). */
  get workerCount(): number {
    return this.workers ? this.workers.size + (this.thisThread ? 1 : 0) : 1;
  }

  /** Sums one gradient into `into` by parameter name (consumes `g`). */
  private addGrad(into: Map<string, tf.Tensor>, name: string, g: tf.Tensor): void {
    const prev = into.get(name);
    if (prev === undefined) into.set(name, g);
    else {
      into.set(name, tf.add(prev, g));
      tf.dispose([prev, g]);
    }
  }

  /** Reads the step back (the one device→host copy) and returns the global gradient norm; throws NonFiniteError. */
  private async checkedGradNorm(grads: ReadonlyMap<string, tf.Tensor>, readback: StepReadback): Promise<number> {
    // Parameters off the loss path (torch: grad None) get no gradient and, as in torch, no update.
    const sumSq = readback.queueGradSquares(this.names.filter((n) => grads.has(n)), grads);
    await readback.readChecked(this.step);
    return Math.sqrt(sumSq());
  }

  /** The clipped AdamW update at this step's learning rate; returns the learning rate. */
  private update(grads: Map<string, tf.Tensor>, gradNorm: number): number {
    const lr = lrAt(this.config, this.step);
    this.optimizer.update(grads, lr, clipScale(gradNorm, this.config.gradClip));
    return lr;
  }

  private stepResult(batch: TokenBatch, readback: StepReadback, lr: number, gradNorm: number, t0: number): StepResult {
    const nMicro = this.config.microBatches ?? 1;
    // msStats: the host side of the routing statistics (the device side is inside compute).
    const tStats = performance.now();
    const routing = readback.routing;
    const layerStats = routing.finish(this.model.moeLayers);
    const msStats = performance.now() - tStats;
    const tokens = batch.batchSize * batch.seqLen;
    return {
      step: this.step,
      loss: readback.ceSum / nMicro,
      auxTotal: routing.auxTotal / nMicro,
      aux: Object.fromEntries(Object.entries(routing.aux).map(([k, v]) => [k, v / nMicro])),
      lr,
      gradNorm,
      tokens,
      flops: 3 * forwardFlops(this.model.config, tokens, batch.seqLen, (i) => this.model.sharedExpertWidth(i)),
      msCompute: performance.now() - t0 - msStats,
      msStats,
      routing: layerStats,
    };
  }

  /** Loss, perplexity and next-token accuracy of the model on `batch` (no update, MoE layers in eval mode). */
  async evalStep(batch: TokenBatch): Promise<EvalResult> {
    const micro = splitBatch(batch, this.config.microBatches ?? 1, this.model.config.vocabSize);
    const rb = new Readback();
    let ceTokens = 0;
    let correct = 0;
    let tokens = 0;
    try {
      for (const mb of micro) {
        const n = mb.rows * mb.seqLen;
        tokens += n;
        const ctx = { training: false, step: this.step, totalSteps: this.config.totalSteps };
        const probe = () => this.model.probeRouting(mb.inputs, mb.rows, mb.seqLen, ctx);
        const [ce, ok] = await withProbedRouting(this.model.routes ? probe : undefined, () => tf.tidy(() => {
          const fwd = this.model.forward(tf.tensor1d(mb.inputs, 'int32'), mb.rows, mb.seqLen, ctx);
          const targets = tf.tensor1d(mb.targets, 'int32');
          return [crossEntropy(fwd.logits, targets), correctCount(fwd.logits, targets)];
        }));
        rb.add(ce, ([v]) => (ceTokens += v! * n));
        rb.add(ok, ([v]) => (correct += v!));
      }
      await rb.read();
    } finally {
      rb.dispose();
    }
    const loss = ceTokens / tokens;
    return { loss, perplexity: Math.exp(loss), accuracy: correct / tokens, tokens };
  }

  /** JSON state beside the weights: step, optimiser step count, each MoE layer's state (bias, λ, ...). */
  state(): Json {
    return {
      step: this.step,
      optimizerSteps: this.optimizer.steps,
      moeLayers: this.model.moeLayers.map((l, i) => (l ? { layer: i, state: l.state() } : null)),
    };
  }

  setState(s: Json): void {
    const st = s as { step: number; optimizerSteps: number; moeLayers: ({ layer: number; state: Json } | null)[] };
    this.step = st.step;
    this.optimizer.steps = st.optimizerSteps;
    st.moeLayers.forEach((entry, i) => {
      const layer = this.model.moeLayers[i];
      if ((entry === null) !== (layer === null || layer === undefined)) throw new Error(`checkpoint state: block ${i} is ${entry ? 'MoE' : 'dense'} in the checkpoint but not in this model`);
      if (entry && layer) layer.setState(entry.state);
    });
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
