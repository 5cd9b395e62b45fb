/**
 * `batch`: groups packed windows into `[rows, seqLen + 1]` token batches. `size` is
 * data.batchSize (windows per micro-batch; state it here or there); one batch holds the
 * windows of one optimiser step, `size × trainer.accumulate`. A short last batch is dropped
 * (counted) unless `dropRemainder: false`.
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: tokenize}
 *     - {op: pack}
 *     - {op: batch, size: 64}
 * ```
 */
import { z } from 'zod';
import { bool, positiveInt } from '../../base/fields.js';
import { batch } from '../batch.js';
import { defineFlowOp } from './flow-op.js';

export const batchOp = defineFlowOp({
  name: 'batch',
  summary: 'packed windows → token batches of size × trainer.accumulate rows',
  input: 'window',
  output: 'batch',
  options: z.strictObject({
    size: positiveInt().optional(),
    dropRemainder: bool().prefault(true),
  }),
  build: (o, ctx) => batch({ size: (o.size ?? ctx.batchSize) * ctx.accumulate, dropRemainder: o.dropRemainder }),
});
