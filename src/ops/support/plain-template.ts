import { IMAGE_TOKEN } from '../items/image-text-record.js';
import { IGNORE_INDEX } from '../items/conversation-sample.js';
import type { ConversationTemplate, Templated } from './conversation-template.js';

/**
 * LLaVA's `plain` template for projector pre-training (`preprocess_plain`): the image, then the
 * caption (the first gpt turn), then the separator (`conv_llava_plain.sep`, "\n"). The human
 * turn's text is dropped; only the image position is masked. Takes one human/gpt pair with an
 * image.
 */
export function plainTemplate(sep = '\n'): ConversationTemplate {
  return {
    name: 'plain',
    texts(record) {
      if (record.conversations.length !== 2) return { reason: 'plain_needs_one_pair', detail: `the plain template takes one human/gpt pair, got ${record.conversations.length} turns` };
      if (record.modality !== 'image' || !record.conversations[0]!.value.includes(IMAGE_TOKEN)) {
        return { reason: 'plain_needs_image', detail: `the plain template needs an image and ${IMAGE_TOKEN} in the human turn` };
      }
      return [IMAGE_TOKEN + record.conversations[1]!.value + sep, IMAGE_TOKEN];
    },
    assemble(_record, encoded): Templated {
      const ids = encoded[0]!.slice();
      const labels = ids.slice();
      for (let p = 0; p < Math.min(encoded[1]!.length, labels.length); p++) labels[p] = IGNORE_INDEX;
      return { ids, labels, mismatch: false, truncated: false };
    },
  };
}
