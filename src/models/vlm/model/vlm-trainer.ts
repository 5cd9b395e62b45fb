/**
 * One optimiser step of a VisionLanguageModel, as LibMoE's stages run it (HF Trainer +
 * torch AdamW): forward, LibMoE's loss (vlm-loss.ts), gradients of the TRAINABLE parameters
 * only (chosen by name patterns: stage 1 `mm_projector.*`, stages 2–3 `*`), global-norm
 * clipping, AdamW at the LM trainer's warm-up + cosine learning rate. Frozen parameters get
 * no gradient and no optimiser state, so they stay bit-identical. Deterministic: the same
 * model, config and batches give the same weights on the same backend.
 */
import { withRoutingRead } from '../../moe/routing-reads.js';
import { tf, type Variable } from '../../tf.js';
import type { Json } from '../../../base/json.js';
import { AdamW, LIBMOE_ADAMW, type AdamWConfig } from '../../optim/adamw.js';
import { clipScale } from '../../optim/clip-scale.js';
import { lrAt, type LrSchedule } from '../../optim/schedule.js';
import { NonFiniteError } from '../../lm/non-finite.js';
import { releaseTapeAfterError } from '../../lm/tape-cleanup.js';
import { packLosses, type LoggedLosses } from './logged-losses.js';
import { Readback } from '../../lm/readback.js';
import { VlmRoutingAccumulator, type VlmRoutingStats } from './vlm-routing.js';
import { splitVlmBatch } from './split-vlm-batch.js';
import { selectNames } from './param-patterns.js';
import type { VisionLanguageModel } from './vision-language-model.js';
import type { VlmBatch } from './vlm-batch.js';
import { vlmLoss } from './vlm-loss.js';

/** LibMoE's VLM optimiser: HF's `adamw_torch` with betas (0.9, 0.999), eps 1e-8 and weight decay 0 (all three stage scripts). */
export const LIBMOE_VLM_ADAMW: AdamWConfig = { ...LIBMOE_ADAMW, weightDecay: 0 };

export interface VlmTrainConfig extends LrSchedule {
  /** Default LIBMOE_VLM_ADAMW. */
  readonly adamw?: AdamWConfig;
  /** Max global gradient norm (HF `max_grad_norm`, 1.0 by default); null = no clipping. */
  readonly gradClip: number | null;
  /** Micro-batches per step (gradient accumulation; the rows are split evenly). Default 1. */
  readonly microBatches?: number;
  /** Name patterns of the parameters that train (param-patterns.ts); every other one is frozen. */
  readonly trainable: readonly string[];
}

export interface VlmStepResult extends LoggedLosses {
  /** The optimiser step this was (0-based). */
  readonly step: number;
  readonly lr: number;
  /** Global norm of the trainable parameters' gradients, before clipping. */
  readonly gradNorm: number;
  /** Real (non-padding) rows of the spliced batch: text tokens plus image feature rows. */
  readonly tokens: number;
  /** Positions the language loss is over. */
  readonly targetTokens: number;
  readonly images: number;
  /** Routing statistics per MoE component (vision layers, projector, decoder blocks). */
  readonly routing: VlmRoutingStats;
  readonly msCompute: number;
}

export class VlmTrainer {
  /** Optimiser steps completed. */
  step = 0;
  readonly optimizer: AdamW;
  /** Checkpoint names of the trainable parameters, in model order. */
  readonly trainable: readonly string[];
  private readonly vars: Variable[];

  constructor(
    readonly model: VisionLanguageModel,
    readonly config: VlmTrainConfig,
  ) {
    this.trainable = selectNames(model.params.keys(), config.trainable);
    if (this.trainable.length === 0) throw new Error('VlmTrainer: no trainable parameter (give name patterns in `trainable`, e.g. "mm_projector.*" or "*")');
    this.vars = this.trainable.map((n) => model.params.get(n)!);
    const trainable = new Map(this.trainable.map((n, i) => [n, this.vars[i]!] as const));
    this.optimizer = new AdamW(trainable, config.adamw ?? LIBMOE_VLM_ADAMW);
  }

  /**
   * One step on `batch` (split into `microBatches` whose gradients add up, each objective divided
   * by their number as HF's gradient accumulation does). The step's numbers (losses, gradient
   * norm) are read back once and checked before the update: a NaN/Inf throws NonFiniteError
   * with the weights untouched. Logged values are the mean over micro-batches.
   */
  async trainStep(batch: VlmBatch): Promise<VlmStepResult> {
    const t0 = performance.now();
    const micro = splitVlmBatch(batch, this.config.microBatches ?? 1);
    const grads = new Map<string, tf.Tensor>();
    const rb = new Readback();
    const problems: string[] = [];
    const routing = new VlmRoutingAccumulator(rb, problems);
    const logged: LoggedLosses[] = [];
    const counts = { tokens: 0, targetTokens: 0, images: 0 };
    try {
      for (const mb of micro) {
        // Where the backend cannot read synchronously (webgpu), routing is read first (moe/routing-reads.ts).
        const r = await withRoutingRead(() => this.model.forward(mb, this.trainContext()), () => this.microBatchGrads(mb, micro.length, rb, routing, logged));
        for (const k of ['tokens', 'targetTokens', 'images'] as const) counts[k] += r.counts[k];
        for (const [name, g] of r.grads) {
          const prev = grads.get(name);
          grads.set(name, prev === undefined ? g : tf.add(prev, g));
          if (prev !== undefined) tf.dispose([prev, g]);
        }
      }
      let sumSq = 0;
      rb.add(tf.tidy(() => (grads.size === 0 ? tf.zeros([1]) : tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))))), ([v]) => (sumSq = v!));
      // The one device → host copy of the step: losses, routing statistics, gradient norm.
      await rb.read();
      const losses = meanOf(logged);
      const gradNorm = Math.sqrt(sumSq);
      const bad = [
        ...(Number.isFinite(losses.loss) ? [] : ['loss']),
        ...Object.entries(losses.aux).filter(([, x]) => !Number.isFinite(x)).map(([k]) => `aux:${k}`),
        ...problems,
        ...(Number.isFinite(gradNorm) ? [] : ['grad:norm']),
      ];
      if (bad.length > 0) throw new NonFiniteError(this.step, bad);
      const lr = lrAt(this.config, this.step);
      this.optimizer.update(grads, lr, clipScale(gradNorm, this.config.gradClip));
      const out: VlmStepResult = { ...losses, step: this.step, lr, gradNorm, ...counts, routing: routing.finish(this.model), msCompute: performance.now() - t0 };
      this.step++;
      return out;
    } finally {
      rb.dispose();
      tf.dispose([...grads.values()]);
    }
  }

  /** Forward and backward of one micro-batch: the trainable parameters' gradients of objective / nMicro; its numbers are queued on `rb`. */
  private microBatchGrads(mb: VlmBatch, nMicro: number, rb: Readback, routing: VlmRoutingAccumulator, logged: LoggedLosses[]): { grads: Map<string, tf.Tensor>; counts: { tokens: number; targetTokens: number; images: number } } {
    const ctx = this.trainContext();
    let counts = { tokens: 0, targetTokens: 0, images: 0 };
    let result: { value: tf.Tensor; grads: (tf.Tensor | null | undefined)[] };
    try {
      // The engine's gradients (not tf.variableGrads): a parameter off the loss path gets none
      // (torch: grad None, no update), even when no trainable parameter is on it (stage 1 on a
      // text-only batch), where variableGrads would throw.
      result = tf.engine().gradients(() => {
        const fwd = this.model.forward(mb, ctx);
        const loss = vlmLoss(fwd);
        const packed = packLosses(loss);
        rb.add(tf.keep(packed.values), (v) => logged.push(packed.decode(v)));
        routing.queue(fwd);
        counts = { tokens: realRows(fwd.plan.attentionMask, fwd.plan.batchSize * fwd.plan.seqLen), targetTokens: loss.targetTokens, images: fwd.images };
        return nMicro === 1 ? loss.total : (tf.mul(loss.total, 1 / nMicro) as tf.Scalar);
      }, this.vars, undefined, true) as unknown as { value: tf.Tensor; grads: (tf.Tensor | null | undefined)[] };
    } catch (e) {
      releaseTapeAfterError();
      throw e;
    }
    result.value.dispose();
    const grads = new Map<string, tf.Tensor>();
    result.grads.forEach((g, i) => {
      if (g != null) grads.set(this.trainable[i]!, g);
    });
    return { grads, counts };
  }

  /** The MoE layers' call context of a training micro-batch at this step. */
  private trainContext(): { training: true; step: number; totalSteps: number } {
    return { training: true, step: this.step, totalSteps: this.config.totalSteps };
  }

  /** The loss parts on `batch` with the routers in eval mode and no update. */
  async evalLoss(batch: VlmBatch): Promise<LoggedLosses & { readonly targetTokens: number }> {
    let targetTokens = 0;
    let packed: ReturnType<typeof packLosses> | undefined;
    const ctx = { training: false, step: this.step, totalSteps: this.config.totalSteps };
    await withRoutingRead(() => this.model.forward(batch, ctx), () => tf.tidy(() => {
      const loss = vlmLoss(this.model.forward(batch, ctx));
      targetTokens = loss.targetTokens;
      packed = packLosses(loss);
      tf.keep(packed.values);
    }));
    try {
      return { ...packed!.decode((await packed!.values.data()) as Float32Array), targetTokens };
    } finally {
      packed!.values.dispose();
    }
  }

  /** JSON state beside the weights: step, optimiser step count, the MoE layers' state. */
  state(): Json {
    return { step: this.step, optimizerSteps: this.optimizer.steps, moe: this.model.moeState() };
  }

  setState(s: Json): void {
    const st = s as { step: number; optimizerSteps: number; moe: Json };
    this.step = st.step;
    this.optimizer.steps = st.optimizerSteps;
    this.model.setMoeState(st.moe);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function realRows(mask: Int32Array | null, all: number): number {
  if (mask === null) return all;
  let n = 0;
  for (const m of mask) n += m;
  return n;
}

/** The mean of each logged value over micro-batches (a name missing from one counts as absent there). */
function meanOf(parts: readonly LoggedLosses[]): LoggedLosses {
  if (parts.length === 1) return parts[0]!;
  const n = parts.length;
  const aux: Record<string, number> = {};
  const seen: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.aux)) {
      aux[k] = (aux[k] ?? 0) + v;
      seen[k] = (seen[k] ?? 0) + 1;
    }
  }
  for (const k of Object.keys(aux)) aux[k]! /= seen[k]!;
  return { loss: parts.reduce((a, p) => a + p.loss, 0) / n, languageLoss: parts.reduce((a, p) => a + p.languageLoss, 0) / n, aux };
}
