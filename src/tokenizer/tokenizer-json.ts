/** The parts of a HuggingFace tokenizer.json that moeflow reads or writes. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface BpeModelJson {
  type: 'BPE';
  vocab: Record<string, number>;
  /** `[left, right]` pairs in merge order (older files spell them `"left right"`). */
  merges: ([string, string] | string)[];
  [key: string]: unknown;
}

export interface TokenizerJson {
  version?: string;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: BpeModelJson | { type: string; [key: string]: unknown };
  [key: string]: unknown;
}

export function specialToken(id: number, content: string): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** Reads one merge in either spelling. */
export function mergePair(merge: [string, string] | string): [string, string] {
  if (Array.isArray(merge)) return merge;
  const space = merge.indexOf(' ');
  if (space <= 0) throw new Error(`tokenizer.json: malformed merge ${JSON.stringify(merge)}`);
  return [merge.slice(0, space), merge.slice(space + 1)];
}
