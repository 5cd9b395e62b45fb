/**
 * LibMoE's `constants.py` ids, as the model reads them. src/models imports nothing from the
 * data plane (ARCHITECTURE.md §6), so they are restated here; a test checks they equal the
 * data plane's (src/ops/items/conversation-sample.ts).
 */
/** The id `tokenizer_image_token` puts where `<image>` was. */
export const IMAGE_TOKEN_INDEX = -200;
/** The label the loss ignores (image rows, the prompt, padding). */
export const IGNORE_INDEX = -100;
