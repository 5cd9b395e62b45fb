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
import { spawn } from 'node:child_process';
import { Tokenizer } from 'tokenizers';
import { shrinkByteLevelBpe } from './bpe-shrink.js';
import type { TokenizerJson } from './tokenizer-json.js';

export interface TrainTokenizerOptions {
  /** Total vocabulary, special tokens included. LibMoE: 8000. */
  readonly vocabSize?: number;
  /** Special tokens, ids 0, 1, ... LibMoE: `<STORY_SEP>`. */
  readonly specialTokens?: readonly string[];
  /** Split numbers into single digits (SentencePiece `split_digits=True`). */
  readonly splitDigits?: boolean;
  /** Stop reading the sample after this many UTF-16 characters (default 64 M) ... */
  readonly sampleChars?: number;
  /** ... or after this many documents, whichever comes first (default: no limit). */
  readonly sampleDocs?: number;
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
  const sampleDocs = options.sampleDocs ?? Infinity;
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
        if (chars >= sampleChars || docs >= sampleDocs) break;
        writeSync(fd, text.endsWith('\n') ? text : `${text}\n`);
        docs++;
        chars += text.length;
      }
    } finally {
      closeSync(fd);
    }
    if (docs === 0) throw new Error('trainTokenizer: the sample is empty');

    const rawPath = join(dir, 'trained.json');
    await trainInChild(samplePath, rawPath, options.splitDigits !== false);
    const trained = JSON.parse(readFileSync(rawPath, 'utf8')) as TokenizerJson;

    const { json, merges } = shrinkByteLevelBpe(trained, { vocabSize, specialTokens });
    const text = JSON.stringify(json);
    return { tokenizer: Tokenizer.fromString(text), json: text, sample: { docs, chars }, merges };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Trains the default (30k) byte-level BPE on one file, in a child process (see bpe-train-child.ts). */
function trainInChild(samplePath: string, outPath: string, splitDigits: boolean): Promise<void> {
  const script = new URL('./bpe-train-child.js', import.meta.url);
  const child = spawn(process.execPath, [script.pathname, samplePath, outPath, splitDigits ? 'digits' : 'no-digits'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`trainTokenizer: the BPE trainer failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-500)}`));
    });
  });
}

/** Writes a trained tokenizer's tokenizer.json. */
export function saveTokenizerJson(trained: TrainedTokenizer, path: string): void {
  writeFileSync(path, trained.json);
}
