import { IMAGE_TOKEN } from '../items/image-text-record.js';
import { IMAGE_TOKEN_INDEX } from '../items/conversation-sample.js';

/** One encoded text chunk: its ids and which of them the tokenizer's post-processor added. */
export interface EncodedChunk {
  readonly ids: readonly number[];
  /** 1 where the post-processor added the token (BOS/EOS), as `tokenizers`' special-tokens mask. */
  readonly specialMask: readonly number[];
}

/**
 * LLaVA's `tokenizer_image_token` split in two so that many texts share one `encodeBatch` call:
 * `chunksOf(text)` gives the pieces to encode (the text split at each `<image>`), `joinChunks`
 * puts their ids back together with `IMAGE_TOKEN_INDEX` between them.
 *
 * As in LLaVA: when the first chunk starts with a token its post-processor added (a BOS), that
 * token is kept once at the start and the first token of every later chunk is dropped (LLaVA
 * drops it unconditionally, assuming each chunk got the same BOS). Tokenizers that add nothing
 * (Phi-3) just concatenate.
 */
export function chunksOf(text: string): string[] {
  return text.split(IMAGE_TOKEN);
}

export function joinChunks(chunks: readonly EncodedChunk[]): number[] {
  const first = chunks[0];
  const offset = first !== undefined && first.ids.length > 0 && first.specialMask[0] === 1 ? 1 : 0;
  const out: number[] = offset ? [first!.ids[0]!] : [];
  chunks.forEach((chunk, k) => {
    // LLaVA inserts `offset + 1` image ids and then drops `offset` of them with the BOS rule: one remains.
    if (k > 0) out.push(IMAGE_TOKEN_INDEX);
    for (let i = offset; i < chunk.ids.length; i++) out.push(chunk.ids[i]!);
  });
  return out;
}
