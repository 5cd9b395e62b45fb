/**
 * What a VLM task turns its rows into: one image, the prompt text lmms-eval's `doc_to_text`
 * builds, and the gold answer, with provenance. Strings and bytes only: the model side decodes
 * the image and applies the conversation template.
 */
import type { ItemSource } from '../items.js';

/**
 * The image of an item: a file (the row's path resolved against the image folder) or the bytes
 * the row embeds (HF `Image` structs `{bytes, path}` in Parquet, base64 in JSONL).
 */
export type VlmImage =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; /** the struct's `path`, informative only */ readonly name?: string };

interface VlmItemBase {
  /** Stable within the task: the row's `question_id`/`id` when unique, else `<file stem>:<record>`. */
  readonly id: string;
  /** Reporting group: POPE `category`, MME `category`, ScienceQA `subject` (else "test"). */
  readonly group: string;
  readonly image: VlmImage;
  /** lmms-eval's `doc_to_text` (default model kwargs), without the image token. */
  readonly prompt: string;
  /** lmms-eval's `generation_kwargs.max_new_tokens` for the task (greedy decoding). */
  readonly maxNewTokens: number;
  readonly source: ItemSource;
}

/** POPE and MME: the answer is "yes" or "no". */
export interface YesNoItem extends VlmItemBase {
  readonly kind: 'yes-no';
  readonly gold: 'yes' | 'no';
  /** MME: the `question_id` the item's image shares with its other question (accuracy+ pairs them). */
  readonly pair?: string;
}

/** ScienceQA: the answer is the letter of one of the lettered options. */
export interface LetterItem extends VlmItemBase {
  readonly kind: 'letter';
  readonly options: readonly string[];
  /** Index of the right option. */
  readonly gold: number;
}

export type VlmItem = YesNoItem | LetterItem;

/** What the model side is asked: the image, the user turn with LLaVA's image token placed, a length limit. */
export interface VlmPrompt {
  readonly id: string;
  readonly image: VlmImage;
  /** `<image>\n` + the prompt: LLaVA's placement when the prompt has no image token of its own. */
  readonly text: string;
  readonly maxNewTokens: number;
}

/** The letter of option `i` (A, B, C, ...), as ScienceQA's prompt and lmms-eval's target write it. */
export function optionLetter(i: number): string {
  return String.fromCharCode(65 + i);
}
