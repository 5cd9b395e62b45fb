import type { ImageTextProvenance } from './image-text-record.js';

/** Label of a position the loss ignores (PyTorch's and LibMoE's `IGNORE_INDEX`). */
export const IGNORE_INDEX = -100;

/**
 * Id that marks where the image goes in `ids` (LLaVA's `IMAGE_TOKEN_INDEX`): the model replaces
 * this one position with the image's feature sequence (576 positions for CLIP-336/14, 256 for
 * SigLIP-224/14), whose labels are all `IGNORE_INDEX`.
 */
export const IMAGE_TOKEN_INDEX = -200;

/** A templated, tokenized conversation with its label mask: what the VLM trains on. */
export interface ConversationSample {
  /** Token ids; an image sample holds exactly one `IMAGE_TOKEN_INDEX`. */
  readonly ids: Int32Array;
  /** Same length as `ids`: the id to predict at each position, or `IGNORE_INDEX`. */
  readonly labels: Int32Array;
  readonly modality: 'image' | 'text';
  /** The image path (for the image operator); absent for text-only samples. */
  readonly image?: string;
  readonly provenance: ImageTextProvenance;
  /** Positions whose label is not `IGNORE_INDEX`. */
  readonly supervised: number;
  /** Cut to the model's maximum length. */
  readonly truncated: boolean;
  /**
   * Set when LibMoE's label arithmetic disagreed with the tokenized length: the whole sample
   * is masked (LibMoE's "tokenization mismatch" rule), so it trains nothing.
   */
  readonly masked?: 'length_mismatch';
}
