import { byteLevelChars } from './byte-level-alphabet.js';
import { type BpeModelJson, type TokenizerJson, mergePair, specialToken } from './tokenizer-json.js';

export interface ShrinkOptions {
  /** Total ids wanted, special tokens included (what `getVocabSize(true)` will report). */
  readonly vocabSize: number;
  /** Added as special tokens with ids 0, 1, ... (LibMoE: `<STORY_SEP>`). */
  readonly specialTokens: readonly string[];
}

export interface ShrinkResult {
  readonly json: TokenizerJson;
  /** Merges kept (each adds one piece, except the rare merge re-creating an existing piece). */
  readonly merges: number;
  /** Merges the trained model had: how much room the sample left. */
  readonly mergesAvailable: number;
}

/**
 * Cuts a byte-level BPE (trained by `tokenizers` with its fixed 30k default) down to an exact
 * vocabulary size.
 *
 * Why this is exact: BPE training is greedy, so the first k merges of a long run are exactly
 * the merges a run stopped at k would learn, and every merge's parts are bytes or results of
 * earlier merges (prefix-closed). Ids are rebuilt as: special tokens, then all 256 byte symbols
 * in byte order (the trainer only keeps bytes it saw; keeping all of them means any text
 * encodes without an unknown token and decodes back byte for byte), then merge results in
 * merge order until the vocabulary holds `vocabSize` ids.
 */
export function shrinkByteLevelBpe(trained: TokenizerJson, options: ShrinkOptions): ShrinkResult {
  const model = trained.model as BpeModelJson;
  if (model.type !== 'BPE') throw new Error(`bpe-shrink: expected a BPE model, got ${model.type}`);
  const { vocabSize, specialTokens } = options;
  const base = specialTokens.length + 256;
  if (!Number.isInteger(vocabSize) || vocabSize < base) {
    throw new Error(`bpe-shrink: vocabSize must be an integer >= ${base} (256 bytes + ${specialTokens.length} special tokens), got ${vocabSize}`);
  }
  const vocab: Record<string, number> = {};
  let next = 0;
  const add = (piece: string): void => { vocab[piece] = next++; };
  for (const token of specialTokens) {
    if (Object.hasOwn(vocab, token)) throw new Error(`bpe-shrink: special token ${token} given twice`);
    add(token);
  }
  for (const ch of byteLevelChars()) add(ch);

  const merges: [string, string][] = [];
  for (const raw of model.merges) {
    if (next >= vocabSize) break;
    const [left, right] = mergePair(raw);
    if (!Object.hasOwn(vocab, left) || !Object.hasOwn(vocab, right)) {
      throw new Error(`bpe-shrink: merge ${left} + ${right} uses a piece no earlier merge made; not a byte-level BPE?`);
    }
    merges.push([left, right]);
    if (!Object.hasOwn(vocab, left + right)) add(left + right);
  }
  if (next < vocabSize) {
    throw new Error(
      `bpe-shrink: the training sample yields only ${next} pieces (${model.merges.length} merges), ` +
        `${vocabSize} requested: train on more text or ask for a smaller vocabulary ` +
        `(the tokenizers JS trainer stops at 30,000 pieces, so larger vocabularies cannot be trained here)`,
    );
  }
  const json: TokenizerJson = {
    ...trained,
    added_tokens: specialTokens.map((token, id) => specialToken(id, token)),
    // LibMoE encodes without BOS/EOS: no post-processor.
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { ...model, vocab, merges, unk_token: null, byte_fallback: false },
  };
  return { json, merges: merges.length, mergesAvailable: model.merges.length };
}
