/**
 * `image`: adds the processor's float32 pixels to every image sample (text-only samples pass
 * through): decode with sharp (EXIF orientation, any colour model to RGB, first frame), LLaVA's
 * `pad` to a square in the processor's mean colour (or plain `resize`), then the CLIP-336 or
 * SigLIP-224 processor, PIL-exact. Runs in a bounded worker pool, in input order. A missing or
 * undecodable image follows `onError` (default data.onError).
 *
 * @example
 * ```yaml
 *         - {op: conversation}
 *         - {op: image, processor: siglip224, aspect: pad, workers: 2}
 * ```
 */
import { z } from 'zod';
import { nonNegativeInt, oneOf, positiveInt } from '../../base/fields.js';
import { preprocessImages } from '../preprocess-images.js';
import type { ConversationSample } from '../items/conversation-sample.js';
import { defineFlowOp } from './flow-op.js';

export const imageOp = defineFlowOp({
  name: 'image',
  summary: 'image samples → + pixels (sharp decode, pad/resize, CLIP-336 or SigLIP-224 processor)',
  input: 'sample',
  output: 'sample',
  options: z.strictObject({
    processor: oneOf(['clip336', 'siglip224']).prefault('clip336'),
    aspect: oneOf(['pad', 'resize']).prefault('pad'),
    layout: oneOf(['chw', 'hwc']).prefault('chw'),
    orientation: oneOf(['exif', 'ignore']).prefault('exif'),
    workers: nonNegativeInt().prefault(2),
    inFlight: positiveInt().optional(),
    onError: oneOf(['fail', 'skip']).optional(),
  }),
  build: (o, ctx) => preprocessImages<ConversationSample>({
    processor: o.processor, aspect: o.aspect, layout: o.layout, orientation: o.orientation, workers: o.workers,
    ...(o.inFlight !== undefined ? { inFlight: o.inFlight } : {}),
    onError: o.onError ?? ctx.onError ?? 'fail',
  }),
});
