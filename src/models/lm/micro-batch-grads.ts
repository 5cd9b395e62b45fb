/**
 * Forward and backward of one micro-batch: the step's objective on its rows and the
 * gradients of every parameter. Shared by the trainer and its data-parallel workers, so a
 * worker computes exactly what the trainer would.
 */
import { tf, type Variable } from '../tf.js';
import { crossEntropy } from './cross-entropy.js';
import type { MicroBatch } from './micro-batch.js';
import type { StepReadback } from './step-readback.js';
import { releaseTapeAfterError } from './tape-cleanup.js';
import { withProbedRouting } from '../moe/routing-reads.js';
import type { TransformerLM } from './transformer-lm.js';

export interface MicroBatchStep {
  /** Micro-batches in the step (the objective is divided by it). */
  readonly nMicro: number;
  /** Optimiser steps completed (the MoE layers' call context). */
  readonly step: number;
  readonly totalSteps: number;
}

/** Gradients of the micro-batch's objective by tf variable name; the numbers are queued on `readback`. */
export function microBatchGrads(model: TransformerLM, vars: Variable[], mb: MicroBatch, s: MicroBatchStep, readback: StepReadback): tf.NamedTensorMap {
  let out: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    out = tf.variableGrads(() => objective(model, mb, s, readback), vars);
  } catch (e) {
    releaseTapeAfterError();
    throw e;
  }
  out.value.dispose();
  return out.grads;
}

/**
 * `microBatchGrads`, with the routing scores read asynchronously first where the backend cannot
 * read synchronously (webgpu; moe/routing-reads.ts): the same numbers, no synchronous read-back.
 */
export async function microBatchGradsAsync(model: TransformerLM, vars: Variable[], mb: MicroBatch, s: MicroBatchStep, readback: StepReadback): Promise<tf.NamedTensorMap> {
  return withProbedRouting(
    model.routes ? () => model.probeRouting(mb.inputs, mb.rows, mb.seqLen, callContext(s)) : undefined,
    () => microBatchGrads(model, vars, mb, s, readback),
  );
}

/** The MoE layers' call context of a training micro-batch. */
function callContext(s: MicroBatchStep): { training: true; step: number; totalSteps: number } {
  return { training: true, step: s.step, totalSteps: s.totalSteps };
}

/**
 * (CE + Σ over MoE layers of aux_total) / nMicro (LibMoE's LM adds every MoE layer's
 * regulariser to the objective). Queues the probes, the loss and the routing statistics.
 */
function objective(model: TransformerLM, mb: MicroBatch, s: MicroBatchStep, readback: StepReadback): tf.Scalar {
  const ctx = callContext(s);
  const ids = tf.tensor1d(mb.inputs, 'int32');
  const targets = tf.tensor1d(mb.targets, 'int32');
  const fwd = model.forward(ids, mb.rows, mb.seqLen, ctx, readback.probeActivation);
  const ce = crossEntropy(fwd.logits, targets);
  readback.queueLoss(ce);
  let total: tf.Scalar = ce;
  for (const m of fwd.moe) {
    readback.routing.queue(m.layer, m.out, mb.rows * mb.seqLen);
    total = tf.add(total, m.out.auxTotal);
  }
  return tf.mul(total, 1 / s.nMicro) as tf.Scalar;
}
