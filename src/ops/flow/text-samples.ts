/**
 * `textSamples`: tokenized documents → one training sample each (every token a target, cut to
 * `maxLength`, default data.seqLen), so a SlimPajama source can be mixed with image-text
 * sources and padded into the same batches. No packing: what a VLM's text share looks like.
 *
 * @example
 * ```yaml
 * data:
 *   sources:
 *     - {kind: slimpajama, files: [text/*.jsonl.zst], weight: 1, flow: [{op: tokenize}, {op: textSamples}]}
 * ```
 */
import { z } from 'zod';
import { positiveInt } from '../../base/fields.js';
import { textSamples } from '../text-samples.js';
import { defineFlowOp } from './flow-op.js';

export const textSamplesOp = defineFlowOp({
  name: 'textSamples',
  summary: 'token ids → one sample per document (all tokens targets), to mix with image-text samples',
  input: 'tokens',
  output: 'sample',
  options: z.strictObject({
    maxLength: positiveInt().optional(),
  }),
  build: (o, ctx) => textSamples({ maxLength: o.maxLength ?? ctx.seqLen }),
});
