import type { ImageTextRecord } from '../items/image-text-record.js';

/** Ids and labels of one conversation, before the model's length limit for image samples. */
export interface Templated {
  readonly ids: number[];
  readonly labels: number[];
  /** LibMoE's length check failed: every label is already IGNORE_INDEX. */
  readonly mismatch: boolean;
  /** The template already cut the ids to the maximum length (LibMoE does so for text-only samples). */
  readonly truncated: boolean;
}

/**
 * A conversation template in two steps, so that all texts of many records are encoded in one
 * batch: `texts` names what must be tokenized (each with LLaVA's `tokenizer_image_token`), and
 * `assemble` builds ids and labels from those encodings (same order).
 */
export interface ConversationTemplate {
  readonly name: string;
  /** Texts to encode for this record, or a reason the template cannot take it. */
  texts(record: ImageTextRecord): string[] | { readonly reason: string; readonly detail: string };
  assemble(record: ImageTextRecord, encoded: readonly (readonly number[])[], modelMaxLength: number): Templated;
}

/**
 * LLaVA's `preprocess_multimodal` for an image record: the `<image>` marker is removed from the
 * turn that holds it and put at that turn's start, followed by a newline (Python `strip()` around
 * both steps, as LLaVA does).
 */
export function moveImageTokenFirst(value: string): string {
  if (!value.includes('<image>')) return value;
  return ('<image>\n' + value.replaceAll('<image>', '').trim()).trim();
}
