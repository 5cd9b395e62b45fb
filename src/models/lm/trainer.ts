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
import { forwardFlops } from './flops.js';
import { clipScale } from '../optim/clip-scale.js';
import { splitBatch, type MicroBatch } from './micro-batch.js';
import { Readback } from './readback.js';
import { StepReadback } from './step-readback.js';
import { releaseTapeAfterError } from './tape-cleanup.js';
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

export class LmTrainer {
  /** Optimiser steps completed. */
  step = 0;
  readonly optimizer: AdamW;
  private readonly names: string[];
  /** The parameters in `names` order: what the tape differentiates. */
  private readonly vars: Variable[];
  private readonly byTfName = new Map<string, string>();

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
      for (const mb of splitBatch(batch, nMicro, this.model.config.vocabSize)) {
        this.addGrads(grads, this.microBatchGrads(mb, nMicro, readback));
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

  /** Forward and backward of one micro-batch under the tape: gradients of its objective by tf variable name. */
  private microBatchGrads(mb: MicroBatch, nMicro: number, readback: StepReadback): tf.NamedTensorMap {
    let step: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      step = tf.variableGrads(() => this.objective(mb, nMicro, readback), this.vars);
    } catch (e) {
      releaseTapeAfterError();
      throw e;
    }
    step.value.dispose();
    return step.grads;
  }

  /**
   * (CE + Σ over MoE layers of aux_total) / nMicro (LibMoE's LM adds every MoE layer's
   * regulariser to the objective). Queues the probes, the loss and the routing statistics.
   */
  private objective(mb: MicroBatch, nMicro: number, readback: StepReadback): tf.Scalar {
    const ctx = { training: true, step: this.step, totalSteps: this.config.totalSteps };
    const ids = tf.tensor1d(mb.inputs, 'int32');
    const targets = tf.tensor1d(mb.targets, 'int32');
    const fwd = this.model.forward(ids, mb.rows, mb.seqLen, ctx, readback.probeActivation);
    const ce = crossEntropy(fwd.logits, targets);
    readback.queueLoss(ce);
    let total: tf.Scalar = ce;
    for (const m of fwd.moe) {
      readback.routing.queue(m.layer, m.out, mb.rows * mb.seqLen);
      total = tf.add(total, m.out.auxTotal);
    }
    return tf.mul(total, 1 / nMicro) as tf.Scalar;
  }

  /** Sums a micro-batch's gradients into `into`, by parameter name. */
  private addGrads(into: Map<string, tf.Tensor>, g: tf.NamedTensorMap): void {
    for (const [tfName, gi] of Object.entries(g)) {
      const name = this.byTfName.get(tfName)!;
      const prev = into.get(name);
      if (prev === undefined) into.set(name, gi);
      else {
        into.set(name, tf.add(prev, gi));
        tf.dispose([prev, gi]);
      }
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
        const [ce, ok] = tf.tidy(() => {
          const fwd = this.model.forward(tf.tensor1d(mb.inputs, 'int32'), mb.rows, mb.seqLen, { training: false, step: this.step, totalSteps: this.config.totalSteps });
          const targets = tf.tensor1d(mb.targets, 'int32');
          return [crossEntropy(fwd.logits, targets), correctCount(fwd.logits, targets)];
        });
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
