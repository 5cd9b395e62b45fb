/**
 * Messages between the gradient pool (main thread) and its workers. Weights and gradients do
 * not travel in messages: they live in SharedArrayBuffers laid out as `ParamLayout` says.
 */
import type { ResolvedLmConfig } from '../lm/config.js';
import type { MicroBatch } from '../lm/micro-batch.js';
import type { MicroBatchStep } from '../lm/micro-batch-grads.js';
import type { MicroBatchNumbers } from '../lm/step-readback.js';

/** Every parameter's place in the shared buffers: names in the trainer's order, float32 offsets. */
export interface ParamLayout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly offsets: readonly number[];
  /** Float32 entries in all (Σ sizes). */
  readonly total: number;
}

export interface WorkerInit {
  readonly rank: number;
  readonly backend: string;
  /** Who multiplies on wasm: the main thread's library, so every rank computes the same bits. */
  readonly matmul: 'onnxruntime' | 'xnnpack';
  readonly config: ResolvedLmConfig;
  /** trainer.recompute, so a replica holds no more activations than the main model. */
  readonly recompute: boolean;
  readonly layout: ParamLayout;
  /** [total] float32: the weights the next step starts from (written by the main thread). */
  readonly weights: SharedArrayBuffer;
  /** [total] float32: this worker's gradients of its last micro-batch. */
  readonly grads: SharedArrayBuffer;
}

export interface StepRequest {
  readonly kind: 'step';
  readonly id: number;
  /** Bumped whenever `weights` was rewritten: the worker reloads its replica when it changes. */
  readonly weightsVersion: number;
  readonly mb: MicroBatch;
  readonly step: MicroBatchStep;
}

export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly id: number; readonly numbers: MicroBatchNumbers; /** Indices (layout order) of parameters that got a gradient. */ readonly present: number[] }
  | { readonly kind: 'error'; readonly id?: number; readonly message: string; readonly stack?: string };

export function paramLayout(names: readonly string[], shapes: readonly (readonly number[])[]): ParamLayout {
  const offsets: number[] = [];
  let total = 0;
  for (const shape of shapes) {
    offsets.push(total);
    total += shape.reduce((a, b) => a * b, 1);
  }
  return { names, shapes, offsets, total };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
