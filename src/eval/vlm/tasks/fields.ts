/** Row fields the VLM tasks share: the image every scored item needs, and yes/no gold answers. */
import { RowError, type JsonRow } from '../../task.js';
import { imageField } from '../image-field.js';
import type { VlmImage } from '../items.js';

/** The row's image; a row without one is bad input for POPE and MME. */
export function requireImage(row: JsonRow, imageDir: string): VlmImage {
  const image = imageField(row, imageDir);
  if (!image) throw new RowError('missing field "image" (a path, or an image struct {bytes, path})');
  return image;
}

/** A gold answer that must read "yes" or "no" after the task's own normalisation (lmms-eval asserts it). */
export function yesNoGold(answer: string, normalise: (a: string) => string): 'yes' | 'no' {
  const a = normalise(answer);
  if (a !== 'yes' && a !== 'no') throw new RowError(`field "answer" must be yes or no, got ${JSON.stringify(answer)}`);
  return a;
}
