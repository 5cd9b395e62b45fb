/**
 * `prefetch`: keeps up to `depth` batches ready while the trainer computes (the state is that of
 * the last batch delivered, so nothing read ahead is lost on resume).
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: tokenize}
 *     - {op: pack}
 *     - {op: batch}
 *     - {op: prefetch, depth: 2}
 * ```
 */
import { z } from 'zod';
import { positiveInt } from '../../base/fields.js';
import { prefetch } from '../prefetch.js';
import { defineFlowOp } from './flow-op.js';

export const prefetchOp = defineFlowOp({
  name: 'prefetch',
  summary: 'read ahead up to depth batches in the background',
  input: 'batch',
  output: 'batch',
  options: z.strictObject({
    depth: positiveInt().prefault(2),
  }),
  build: (o) => prefetch(o.depth),
});
