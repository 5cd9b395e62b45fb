import { type TrainedTokenizer, trainTokenizer } from '../../src/tokenizer/train-bpe.js';
import { textRecords } from '../ops/helpers.js';

let cached: Promise<TrainedTokenizer> | undefined;

/** A 320-piece BPE trained on the fixture documents (about a second the first time, then shared). */
export function tinyTokenizer(): Promise<TrainedTokenizer> {
  cached ??= trainTokenizer(textRecords(400).map((r) => r.text), { vocabSize: 320 });
  return cached;
}
