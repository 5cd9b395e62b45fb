/**
 * HuggingFace `tokenizers` (Rust, NAPI) behind a few helpers the operators and CLI share:
 * load any tokenizer.json, its vocabulary size, the document separator id, batched encoding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Tokenizer } from 'tokenizers';

export type { Tokenizer } from 'tokenizers';

/** Separator candidates in order of preference: LibMoE's, then common end-of-text tokens. */
export const SEPARATOR_CANDIDATES = ['<STORY_SEP>', '<|endoftext|>', '</s>', '<eos>'] as const;

/** Loads a tokenizer.json file (any model type; added/special tokens such as `<|user|>` stay atomic). */
export function loadTokenizer(path: string): Tokenizer {
  if (!existsSync(path)) throw new Error(`tokenizer: file not found: ${path}`);
  try {
    return Tokenizer.fromString(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`tokenizer: cannot load ${path}: ${(err as Error).message}`);
  }
}

/** Builds a tokenizer from tokenizer.json contents. */
export function tokenizerFromJson(json: string): Tokenizer {
  return Tokenizer.fromString(json);
}

/** Number of ids the model can emit, added tokens included (the embedding table's row count). */
export function vocabSize(tokenizer: Tokenizer): number {
  return tokenizer.getVocabSize(true);
}

/**
 * The id that `pack` puts after every document. The first of `candidates` the vocabulary
 * knows; an error naming them all when it knows none (never a silent fallback to id 0).
 */
export function separatorId(tokenizer: Tokenizer, candidates: readonly string[] = SEPARATOR_CANDIDATES): number {
  for (const token of candidates) {
    const id = tokenizer.tokenToId(token);
    if (id !== null && id !== undefined) return id;
  }
  throw new Error(`tokenizer: none of the separator tokens ${candidates.join(', ')} is in the vocabulary`);
}

/**
 * Encodes texts in one `encodeBatch` call (Rust spreads the batch over all cores) and returns
 * ids in input order. No special tokens are added: LibMoE encodes without BOS/EOS.
 */
export async function encodeTexts(tokenizer: Tokenizer, texts: readonly string[]): Promise<Int32Array[]> {
  if (texts.length === 0) return [];
  const encodings = await tokenizer.encodeBatch(texts as string[], { addSpecialTokens: false });
  return encodings.map((e) => Int32Array.from(e.getIds()));
}

/** Decodes ids back to text (special tokens kept, so `<STORY_SEP>` shows). */
export function decodeIds(tokenizer: Tokenizer, ids: ArrayLike<number>): Promise<string> {
  return tokenizer.decode(Array.from(ids), false);
}
