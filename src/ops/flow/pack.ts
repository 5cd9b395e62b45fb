/**
 * `pack`: LibMoE's packing. Every document followed by the tokenizer's separator, concatenated,
 * cut into windows of `seqLen + 1` tokens (consecutive windows share one token, no padding).
 * `seqLen` is data.seqLen: state it here or there (the model and evaluation use it too).
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: tokenize}
 *     - {op: pack, seqLen: 1024}
 *     - {op: pack, seqLen: 1024, segmentIds: true}   # also per-token document indices
 * ```
 */
import { z } from 'zod';
import { bool, positiveInt } from '../../base/fields.js';
import { pack } from '../pack.js';
import { defineFlowOp } from './flow-op.js';

export const packOp = defineFlowOp({
  name: 'pack',
  summary: 'token ids → fixed windows of seqLen + 1 tokens with a document separator (LibMoE)',
  input: 'tokens',
  output: 'window',
  options: z.strictObject({
    seqLen: positiveInt().optional(),
    segmentIds: bool().optional(),
  }),
  build: (o, ctx) => pack({
    seqLen: o.seqLen ?? ctx.seqLen,
    separatorId: ctx.separatorId,
    ...(o.segmentIds !== undefined ? { segmentIds: o.segmentIds } : {}),
  }),
});
