/**
 * `tokenize`: documents → token ids with the run's tokenizer (data.tokenizer), batched, in order.
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: tokenize}                       # defaults: 128 documents per encode call, 4 calls in flight
 *     - {op: tokenize, batchSize: 64, batchesInFlight: 2}
 * ```
 */
import { z } from 'zod';
import { positiveInt } from '../../base/fields.js';
import { tokenize } from '../tokenize.js';
import { defineFlowOp } from './flow-op.js';

export const tokenizeOp = defineFlowOp({
  name: 'tokenize',
  summary: 'documents → token ids with the run\'s tokenizer (data.tokenizer)',
  input: 'document',
  output: 'tokens',
  options: z.strictObject({
    batchSize: positiveInt().optional(),
    batchesInFlight: positiveInt().optional(),
  }),
  build: (o, ctx) => tokenize({
    encoder: ctx.encoder,
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.batchesInFlight !== undefined ? { batchesInFlight: o.batchesInFlight } : {}),
  }),
});
