/** One turn of a LLaVA conversation. */
export interface Turn {
  readonly from: 'human' | 'gpt';
  readonly value: string;
}

/** Where a LLaVA record came from. */
export interface ImageTextProvenance {
  readonly file: string;
  /** 0-based index of the record in its file (array element, or non-blank line of a `.jsonl`). */
  readonly record: number;
  /** The record's `id` (stringified when it is a number); absent when the record has none. */
  readonly id?: string;
}

/**
 * A LLaVA record `{id, image?, conversations: [{from, value}]}` as the source delivers it:
 * validated (roles alternate human/gpt, exactly one `<image>` when there is an image and none
 * otherwise), the image path joined to the image root and known to name a non-empty file.
 */
export interface ImageTextRecord {
  /** 'image' when the record has an image, 'text' for a text-only record. */
  readonly modality: 'image' | 'text';
  /** Path of the image (image root + the record's relative path); absent for text-only records. */
  readonly image?: string;
  readonly conversations: readonly Turn[];
  readonly provenance: ImageTextProvenance;
}

/** The marker LLaVA writes where the image goes. */
export const IMAGE_TOKEN = '<image>';
