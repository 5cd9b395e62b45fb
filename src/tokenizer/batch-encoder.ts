/**
 * How `tokenize` turns a batch of texts into ids. Three implementations, same ids:
 * `tokenizers` itself (any tokenizer.json), the JavaScript byte-level BPE in this thread, and
 * that encoder in a pool of worker threads (both cores; see docs/operators.md for figures).
 */
import type { TokenizerJson } from './tokenizer-json.js';
import { ByteLevelBpeEncoder, fastEncoderSupport } from './bpe-fast-encoder.js';
import { EncoderPool } from './encoder-pool.js';
import { type Tokenizer, encodeTexts, tokenizerFromJson } from './tokenizer.js';

export interface BatchEncoder {
  /** Which implementation runs, for run records and benchmarks. */
  readonly kind: 'tokenizers' | 'js-bpe' | 'js-bpe-workers';
  /** Ids per text, in input order, no special tokens added. */
  encodeBatch(texts: readonly string[]): Promise<Int32Array[]>;
  /** Stops worker threads, if any. */
  close(): Promise<void>;
}

/** `tokenizers`' `encodeBatch` (Rust threads): works for every tokenizer.json. */
export function tokenizersEncoder(tokenizer: Tokenizer): BatchEncoder {
  return { kind: 'tokenizers', encodeBatch: (texts) => encodeTexts(tokenizer, texts), close: async () => undefined };
}

/** The JavaScript byte-level BPE on the calling thread. */
export function jsBpeEncoder(json: TokenizerJson): BatchEncoder {
  const encoder = new ByteLevelBpeEncoder(json);
  return { kind: 'js-bpe', encodeBatch: async (texts) => texts.map((t) => encoder.encode(t)), close: async () => undefined };
}

export interface EncoderChoice {
  /** Worker threads for the JavaScript encoder; 0 runs it on the calling thread (default 2). */
  readonly workers?: number;
}

/**
 * The fastest encoder that reproduces `tokenizers` exactly for this tokenizer.json: the
 * JavaScript BPE (in workers) when `fastEncoderSupport` accepts the file, `tokenizers` otherwise.
 */
export function bestEncoder(tokenizerJson: string, choice: EncoderChoice = {}): BatchEncoder {
  const json = JSON.parse(tokenizerJson) as TokenizerJson;
  if (!fastEncoderSupport(json).ok) return tokenizersEncoder(tokenizerFromJson(tokenizerJson));
  const workers = choice.workers ?? 2;
  return workers === 0 ? jsBpeEncoder(json) : new EncoderPool(tokenizerJson, workers);
}
