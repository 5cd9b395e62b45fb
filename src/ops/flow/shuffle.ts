/**
 * `shuffle`: a seeded buffer shuffle (state holds the buffer, so a resume is exact). Left out
 * of the evaluation batches. `seed` defaults to data.seed.
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: tokenize}
 *     - {op: pack}
 *     - {op: shuffle, bufferSize: 1000}
 * ```
 */
import { z } from 'zod';
import { nonNegativeInt, positiveInt } from '../../base/fields.js';
import { shuffle } from '../shuffle.js';
import { defineFlowOp } from './flow-op.js';

export const shuffleOp = defineFlowOp({
  name: 'shuffle',
  summary: 'seeded buffer shuffle (any items; skipped for evaluation)',
  input: 'window',
  output: 'window',
  options: z.strictObject({
    bufferSize: positiveInt(),
    seed: nonNegativeInt().optional(),
  }),
  build: (o, ctx) => (ctx.evaluation ? undefined : shuffle({ bufferSize: o.bufferSize, seed: o.seed ?? ctx.seed })),
});
