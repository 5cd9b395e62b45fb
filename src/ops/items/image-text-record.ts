/**
 * A LLaVA record as the LLaVA source delivers it: `{ modality, image?, conversations, provenance:
 * { file, record, id } }`. Defined by the source (src/streams/llava); any source with these
 * fields plugs into `conversation` and `preprocessImage`.
 */
export type { ImageTextRecord, ImageTextProvenance, Turn } from '../../streams/index.js';
export { IMAGE_TOKEN } from '../../streams/index.js';
