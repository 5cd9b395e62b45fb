/**
 * `padBatch`: samples → batches padded to their longest row (pad id, labels −100, attention
 * mask 0), image pixels stacked. `size` defaults to data.batchSize (one batch holds
 * `size × trainer.accumulate` samples, as with `batch`). `groupBy: modality` is LLaVA's
 * `group_by_modality_length` sampler (image and text-only samples in separate batches);
 * `modality-length` also sorts by length within each window. `padId` 0 is the unk id LibMoE pads
 * Phi-3.5 with.
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: padBatch, size: 8, groupBy: modality-length, windowBatches: 8}
 * ```
 */
import { z } from 'zod';
import { bool, nonNegativeInt, oneOf, positiveInt } from '../../base/fields.js';
import { padBatch } from '../pad-batch.js';
import type { PaddableSample } from '../items/image-text-batch.js';
import { defineFlowOp } from './flow-op.js';

export const padBatchOp = defineFlowOp({
  name: 'padBatch',
  summary: 'samples → padded batches of size × trainer.accumulate rows, optionally grouped by modality and length',
  input: 'sample',
  output: 'sampleBatch',
  options: z.strictObject({
    size: positiveInt().optional(),
    padId: nonNegativeInt().prefault(0),
    groupBy: oneOf(['none', 'modality', 'modality-length']).prefault('none'),
    windowBatches: positiveInt().optional(),
    dropRemainder: bool().prefault(false),
  }),
  build: (o, ctx) => padBatch<PaddableSample>({
    size: (o.size ?? ctx.batchSize) * ctx.accumulate, padId: o.padId, groupBy: o.groupBy, dropRemainder: o.dropRemainder,
    ...(o.windowBatches !== undefined ? { windowBatches: o.windowBatches } : {}),
  }),
});
