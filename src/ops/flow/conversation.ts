/**
 * `conversation`: LLaVA records → token ids with LibMoE's label mask, in the Phi-3.5 template
 * (`preprocess_phi35`, every LibMoE stage) or LLaVA's `plain` one (projector pre-training), with
 * the run's tokenizer (data.tokenizer). Samples are cut to `modelMaxLength` (default data.seqLen)
 * counting the positions the image will take (`imageTokens`). A record the template cannot take
 * follows `onError` (default data.onError).
 *
 * @example
 * ```yaml
 * data:
 *   sources:
 *     - kind: llava
 *       files: [data/llava_v1_5_mix665k.json]
 *       images: data
 *       flow:
 *         - {op: conversation, template: phi35, modelMaxLength: 2048, imageTokens: 576}
 *         - {op: image, processor: clip336}
 * ```
 */
import { z } from 'zod';
import { oneOf, positiveInt } from '../../base/fields.js';
import { conversation } from '../conversation.js';
import { defineFlowOp } from './flow-op.js';

export const conversationOp = defineFlowOp({
  name: 'conversation',
  summary: 'image-text records → token ids with label masks (Phi-3.5 or plain template)',
  input: 'record',
  output: 'sample',
  options: z.strictObject({
    template: oneOf(['phi35', 'plain']).prefault('phi35'),
    labels: oneOf(['libmoe', 'turns']).prefault('libmoe'),
    modelMaxLength: positiveInt().optional(),
    imageTokens: positiveInt().prefault(1),
    batchSize: positiveInt().optional(),
    onError: oneOf(['fail', 'skip']).optional(),
  }),
  build: (o, ctx) => {
    if (!ctx.tokenizer) throw new Error('conversation: needs the run\'s tokenizer (data.tokenizer), and none was given to the flow');
    return conversation({
      tokenizer: ctx.tokenizer,
      template: o.template,
      labels: o.labels,
      modelMaxLength: o.modelMaxLength ?? ctx.seqLen,
      imageTokens: o.imageTokens,
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      onError: o.onError ?? ctx.onError ?? 'fail',
    });
  },
});
