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
import { NonFiniteError } from './non-finite.js';
import { splitBatch } from './micro-batch.js';
import { Readback } from './readback.js';
import { RoutingAccumulator } from './routing-stats.js';
import { releaseTapeAfterError } from './tape-cleanup.js';
import type { TransformerLM } from './transformer-lm.js';

export interface TrainConfig extends LrSchedule {
  readonly adamw?: AdamWConfig;
  /** Max global gradient norm (LibMoE `grad_clip`: 0.1 at 154M); null = no clipping. */
  readonly gradClip: number | null;
  /** Micro-batches per step (the batch's rows are split evenly). Default 1. */
  readonly microBatches?: number;
}

export class LmTrainer {
  /** Optimiser steps completed. */
  step = 0;
  readonly optimizer: AdamW;
  private readonly names: string[];
  private readonly byTfName = new Map<string, string>();

  constructor(
    readonly model: TransformerLM,
    readonly config: TrainConfig,
  ) {
    this.optimizer = new AdamW(model.params, config.adamw ?? LIBMOE_ADAMW);
    this.names = [...model.params.keys()];
    for (const [name, v] of model.params) this.byTfName.set(v.name, name);
  }

  /** One optimiser step on `batch`. Throws NonFiniteError (weights untouched) if the loss, an activation or a gradient is NaN/Inf. */
  async trainStep(batch: TokenBatch): Promise<StepResult> {
    const t0 = performance.now();
    const nMicro = this.config.microBatches ?? 1;
    const micro = splitBatch(batch, nMicro, this.model.config.vocabSize);
    const ctx = { training: true, step: this.step, totalSteps: this.config.totalSteps };
    const varList = this.names.map((n) => this.model.params.get(n)!) as Variable[];
    const rb = new Readback();
    const grads = new Map<string, tf.Tensor>();
    const problems: string[] = [];
    let ceSum = 0;
    const routing = new RoutingAccumulator(rb, problems);
    try {
      for (const mb of micro) {
        const tokens = mb.rows * mb.seqLen;
        // Everything the host needs is queued on the readback as it is created (and kept past the
        // tape's tidy), so a failure anywhere still releases it with the readback.
        let step: { value: tf.Scalar; grads: tf.NamedTensorMap };
        try {
          step = tf.variableGrads(() => {
            const ids = tf.tensor1d(mb.inputs, 'int32');
            const targets = tf.tensor1d(mb.targets, 'int32');
            const fwd = this.model.forward(ids, mb.rows, mb.seqLen, ctx, (label, x) => {
              // 0·x sums to 0 iff every entry is finite (no overflow, unlike Σx²).
              rb.add(tf.keep(tf.sum(tf.mul(x, 0))), ([v]) => { if (!Number.isFinite(v!)) problems.push(`activation:${label}`); });
            });
            const ce = crossEntropy(fwd.logits, targets);
            rb.add(tf.keep(ce), ([v]) => {
              ceSum += v!;
              if (!Number.isFinite(v!)) problems.push('loss');
            });
            let total: tf.Scalar = ce;
            for (const m of fwd.moe) {
              routing.queue(m.layer, m.out, tokens);
              // LibMoE LM: the regulariser of every MoE layer is added to the objective (summed over layers).
              total = tf.add(total, m.out.auxTotal);
            }
            return tf.mul(total, 1 / nMicro) as tf.Scalar;
          }, varList);
        } catch (e) {
          releaseTapeAfterError();
          throw e;
        }
        const { value, grads: g } = step;
        value.dispose();
        for (const [tfName, gi] of Object.entries(g)) {
          const name = this.byTfName.get(tfName)!;
          const prev = grads.get(name);
          if (prev === undefined) grads.set(name, gi);
          else {
            grads.set(name, tf.add(prev, gi));
            tf.dispose([prev, gi]);
          }
        }
      }
      // Parameters off the loss path (torch: grad None) get no gradient and, as in torch, no update.
      const withGrad = this.names.filter((n) => grads.has(n));
      const gradSq = tf.tidy(() => tf.stack(withGrad.map((n) => tf.sum(tf.square(grads.get(n)!)))));
      let sumSq = 0;
      rb.add(gradSq, (vals) => {
        vals.forEach((v, i) => {
          if (!Number.isFinite(v)) problems.push(`grad:${withGrad[i]}`);
          sumSq += v;
        });
      });
      await rb.read();
      if (problems.length > 0) throw new NonFiniteError(this.step, orderProblems(problems));
      const gradNorm = Math.sqrt(sumSq);
      const clip = this.config.gradClip;
      // torch.nn.utils.clip_grad_norm_: scale = max_norm / (norm + 1e-6), only when < 1.
      const scale = clip !== null && clip / (gradNorm + 1e-6) < 1 ? clip / (gradNorm + 1e-6) : 1;
      const lr = lrAt(this.config, this.step);
      this.optimizer.update(grads, lr, scale);
      // msStats: the host side of the routing statistics (the device side is inside compute).
      const tStats = performance.now();
      const layerStats = routing.finish(this.model.moeLayers);
      const msStats = performance.now() - tStats;
      const tokens = batch.batchSize * batch.seqLen;
      const result: StepResult = {
        step: this.step,
        loss: ceSum / nMicro,
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
      this.step++;
      return result;
    } finally {
      rb.dispose();
      tf.dispose([...grads.values()]);
    }
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

/** The first non-finite activation in forward order is the most useful clue; gradients follow. */
function orderProblems(p: string[]): string[] {
  const rank = (s: string): number => (s.startsWith('activation:') ? 0 : s.startsWith('aux:') ? 1 : s === 'loss' ? 2 : 3);
  return [...new Set(p)].sort((a, b) => rank(a) - rank(b));
}
