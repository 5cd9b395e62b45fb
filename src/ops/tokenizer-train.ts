/**
 * Trains LibMoE's tokenizer from a sample of a text stream: BPE, 8000 pieces by default,
 * digits split one per token, `<STORY_SEP>` as the document separator.
 *
 * LibMoE trains SentencePiece BPE. The JS bindings of `tokenizers` expose no trainer options
 * (BPE always learns 30,000 pieces), so moeflow trains that default on a byte-level,
 * digit-splitting pre-tokenizer and cuts the result to the requested size (see
 * `shrinkByteLevelBpe`: exact, because BPE merges are learned greedily and prefix-closed).
 * Byte-level instead of SentencePiece's characters + `<unk>`: every text round-trips exactly.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPE, Tokenizer, byteLevelPreTokenizer, digitsPreTokenizer, sequencePreTokenizer } from 'tokenizers';
import { shrinkByteLevelBpe } from './bpe-shrink.js';
import type { TokenizerJson } from './tokenizer-json.js';

export interface TrainTokenizerOptions {
  /** Total vocabulary, special tokens included. LibMoE: 8000. */
  readonly vocabSize?: number;
  /** Special tokens, ids 0, 1, ... LibMoE: `<STORY_SEP>`. */
  readonly specialTokens?: readonly string[];
  /** Split numbers into single digits (SentencePiece `split_digits=True`). */
  readonly splitDigits?: boolean;
  /** Stop reading the sample after this many UTF-16 characters (default 64 M). */
  readonly sampleChars?: number;
}

export interface TrainedTokenizer {
  readonly tokenizer: Tokenizer;
  /** tokenizer.json contents: write them anywhere, `loadTokenizer` reads them back. */
  readonly json: string;
  readonly sample: { readonly docs: number; readonly chars: number };
  readonly merges: number;
}

export const LIBMOE_VOCAB_SIZE = 8000;
export const STORY_SEP = '<STORY_SEP>';

export async function trainTokenizer(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainTokenizerOptions = {},
): Promise<TrainedTokenizer> {
  const vocabSize = options.vocabSize ?? LIBMOE_VOCAB_SIZE;
  const specialTokens = options.specialTokens ?? [STORY_SEP];
  const sampleChars = options.sampleChars ?? 64_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-bpe-'));
  try {
    // The trainer reads files only; one document per line group (it splits at newlines, as
    // LibMoE's sentence iterator does).
    const samplePath = join(dir, 'sample.txt');
    const fd = openSync(samplePath, 'w');
    let docs = 0;
    let chars = 0;
    try {
      for await (const text of texts) {
        if (chars >= sampleChars) break;
        writeSync(fd, text.endsWith('\n') ? text : `${text}\n`);
        docs++;
        chars += text.length;
      }
    } finally {
      closeSync(fd);
    }
    if (docs === 0) throw new Error('trainTokenizer: the sample is empty');

    const trainer = new Tokenizer(BPE.empty());
    const byteLevel = byteLevelPreTokenizer(false, true);
    trainer.setPreTokenizer(options.splitDigits === false ? byteLevel : sequencePreTokenizer([digitsPreTokenizer(true), byteLevel]));
    trainer.train([samplePath]);
    const rawPath = join(dir, 'trained.json');
    trainer.save(rawPath, false);
    const trained = JSON.parse(readFileSync(rawPath, 'utf8')) as TokenizerJson;

    const { json, merges } = shrinkByteLevelBpe(trained, { vocabSize, specialTokens });
    const text = JSON.stringify(json);
    return { tokenizer: Tokenizer.fromString(text), json: text, sample: { docs, chars }, merges };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a trained tokenizer's tokenizer.json. */
export function saveTokenizerJson(trained: TrainedTokenizer, path: string): void {
  writeFileSync(path, trained.json);
}
