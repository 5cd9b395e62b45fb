/**
 * A JavaScript encoder for byte-level BPE tokenizer.json files (the kind `trainTokenizer`
 * writes, GPT-2 style), giving the same ids as HuggingFace `tokenizers` several times faster:
 * most words repeat, and a word cache turns them into one Map lookup, where the Rust bindings
 * pay per-call marshalling and build offsets and token strings nobody here reads.
 * The tests compare it with `tokenizers` id for id; `fastEncoderSupport` says which files it
 * handles, everything else goes to `tokenizers` itself.
 */
import { byteLevelChars } from './byte-level-alphabet.js';
import { type AddedTokenJson, type BpeModelJson, type TokenizerJson, mergePair } from './tokenizer-json.js';

/** GPT-2's pre-tokenizer pattern as `tokenizers` runs it; `\s` is Unicode White_Space in its regex engine. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
/** `char::is_numeric` in Rust: general categories Nd, Nl, No. */
const NUMERIC = /\p{N}/gu;
/** Merge keys pack two ids into one number; vocabularies up to 2^26 ids. */
const ID_SPACE = 2 ** 26;
const CACHE_LIMIT = 200_000;
/** Words up to this many bytes merge with a simple rescanning loop (faster than a heap when short). */
const SHORT_WORD = 48;

export type FastEncoderSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface ByteLevelPreTokenizerJson { type: 'ByteLevel'; add_prefix_space?: boolean; use_regex?: boolean }

/** Whether `json` is a tokenizer this encoder reproduces exactly, and if not why. */
export function fastEncoderSupport(json: TokenizerJson): FastEncoderSupport {
  const no = (reason: string): FastEncoderSupport => ({ ok: false, reason });
  const model = json.model as BpeModelJson;
  if (model.type !== 'BPE') return no(`model ${model.type} is not BPE`);
  if (model['dropout'] !== null && model['dropout'] !== undefined && model['dropout'] !== 0) return no('BPE dropout');
  if (model['continuing_subword_prefix'] || model['end_of_word_suffix']) return no('subword prefix/suffix');
  if (model['byte_fallback']) return no('byte fallback');
  if (json.normalizer !== null && json.normalizer !== undefined) return no('a normalizer');
  if (parsePreTokenizer(json.pre_tokenizer) === undefined) return no('a pre-tokenizer other than [Digits(individual)] + ByteLevel(regex, no prefix space)');
  const bytes = byteLevelChars();
  if (!bytes.every((ch) => Object.hasOwn(model.vocab, ch))) return no('a vocabulary without all 256 byte symbols');
  const odd = json.added_tokens.find((t) => t.single_word || t.lstrip || t.rstrip || t.content.length === 0);
  if (odd) return no(`added token ${odd.content} with single_word/lstrip/rstrip`);
  return { ok: true };
}

function parsePreTokenizer(pre: unknown): { digits: boolean } | undefined {
  const isByteLevel = (p: unknown): boolean => {
    const b = p as ByteLevelPreTokenizerJson | null;
    return b !== null && typeof b === 'object' && b.type === 'ByteLevel' && b.add_prefix_space === false && b.use_regex !== false;
  };
  if (isByteLevel(pre)) return { digits: false };
  const seq = pre as { type?: string; pretokenizers?: unknown[] } | null;
  if (seq?.type !== 'Sequence' || seq.pretokenizers?.length !== 2) return undefined;
  const [first, second] = seq.pretokenizers as [{ type?: string; individual_digits?: boolean }, unknown];
  if (first?.type === 'Digits' && first.individual_digits === true && isByteLevel(second)) return { digits: true };
  return undefined;
}

export class ByteLevelBpeEncoder {
  private readonly byteIds = new Int32Array(256);
  /** (left id, right id) → rank and merged id, packed as rank * ID_SPACE + id. */
  private readonly merges = new Map<number, number>();
  private readonly vocab: Map<string, number>;
  private readonly digits: boolean;
  private readonly ignoreMerges: boolean;
  private readonly added: RegExp | undefined;
  private readonly addedIds = new Map<string, number>();
  private readonly cache = new Map<string, Int32Array>();
  private readonly utf8 = new TextEncoder();
  private readonly byteOfId = new Map<number, number>();
  /** Per-word working space, reused across words. */
  private scratch = new Int32Array(256);
  /** Packed rank * ID_SPACE + merged id of each adjacent pair (`mergeShort`); Infinity: no merge. */
  private scratchRanks = new Float64Array(256);

  constructor(json: TokenizerJson) {
    const support = fastEncoderSupport(json);
    if (!support.ok) throw new Error(`fast BPE encoder: unsupported tokenizer.json (${support.reason})`);
    const model = json.model as BpeModelJson;
    this.vocab = new Map(Object.entries(model.vocab));
    if (this.vocab.size >= ID_SPACE) throw new Error(`fast BPE encoder: vocabulary of ${this.vocab.size} is too large`);
    this.digits = parsePreTokenizer(json.pre_tokenizer)!.digits;
    this.ignoreMerges = model['ignore_merges'] === true;
    byteLevelChars().forEach((ch, b) => {
      this.byteIds[b] = this.vocab.get(ch)!;
      this.byteOfId.set(this.byteIds[b]!, b);
    });
    model.merges.forEach((raw, rank) => {
      const [left, right] = mergePair(raw);
      const l = this.vocab.get(left);
      const r = this.vocab.get(right);
      const merged = this.vocab.get(left + right);
      // `tokenizers` refuses such files too; keep the first rank of a repeated pair, as it does.
      if (l === undefined || r === undefined || merged === undefined) throw new Error(`fast BPE encoder: merge ${left} ${right} is not in the vocabulary`);
      const key = l * ID_SPACE + r;
      if (!this.merges.has(key)) this.merges.set(key, rank * ID_SPACE + merged);
    });
    const added = json.added_tokens as AddedTokenJson[];
    for (const t of added) this.addedIds.set(t.content, t.id);
    if (added.length > 0) {
      // Longest first: at one position the longest added token wins, as in `tokenizers`.
      const alternatives = [...added].sort((a, b) => b.content.length - a.content.length).map((t) => escapeRegExp(t.content));
      this.added = new RegExp(alternatives.join('|'), 'g');
    }
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`fast BPE encoder: expected a string, got ${typeof text}`);
    const out = new IdBuffer(text.length >> 1);
    if (this.added === undefined) this.encodeSegment(text, out);
    else {
      let from = 0;
      this.added.lastIndex = 0;
      for (let m = this.added.exec(text); m !== null; m = this.added.exec(text)) {
        if (m.index > from) this.encodeSegment(text.slice(from, m.index), out);
        out.push(this.addedIds.get(m[0])!);
        from = m.index + m[0].length;
      }
      if (from < text.length) this.encodeSegment(text.slice(from), out);
    }
    return out.finish();
  }

  private encodeSegment(segment: string, out: IdBuffer): void {
    if (!this.digits) return this.encodePiece(segment, out);
    // Digits(individual_digits) isolates every numeric character before the regex runs.
    let from = 0;
    NUMERIC.lastIndex = 0;
    for (let m = NUMERIC.exec(segment); m !== null; m = NUMERIC.exec(segment)) {
      if (m.index > from) this.encodePiece(segment.slice(from, m.index), out);
      this.encodeWord(m[0], out);
      from = m.index + m[0].length;
    }
    if (from < segment.length) this.encodePiece(from === 0 ? segment : segment.slice(from), out);
  }

  private encodePiece(piece: string, out: IdBuffer): void {
    GPT2_PATTERN.lastIndex = 0;
    for (let m = GPT2_PATTERN.exec(piece); m !== null; m = GPT2_PATTERN.exec(piece)) this.encodeWord(m[0], out);
  }

  private encodeWord(word: string, out: IdBuffer): void {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.bpe(word);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    out.pushAll(ids);
  }

  /** Applies merges lowest rank first (leftmost among equal ranks), like `tokenizers`' heap. */
  private bpe(word: string): Int32Array {
    const n = this.toByteIds(word);
    if (this.ignoreMerges && n > 1) {
      const whole = this.vocab.get(byteString(this.scratch, n, this.byteOfId));
      if (whole !== undefined) return Int32Array.of(whole);
    }
    if (n < 2) return this.scratch.slice(0, n);
    return n <= SHORT_WORD ? this.mergeShort(n) : this.mergeLong(n);
  }

  /** Writes the word's byte-symbol ids into `scratch`; returns how many. */
  private toByteIds(word: string): number {
    let ascii = true;
    for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) > 0x7f) { ascii = false; break; }
    if (ascii) {
      this.reserve(word.length);
      for (let i = 0; i < word.length; i++) this.scratch[i] = this.byteIds[word.charCodeAt(i)]!;
      return word.length;
    }
    const bytes = this.utf8.encode(word);
    this.reserve(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.scratch[i] = this.byteIds[bytes[i]!]!;
    return bytes.length;
  }

  private reserve(n: number): void {
    if (this.scratch.length < n) {
      this.scratch = new Int32Array(n * 2);
      this.scratchRanks = new Float64Array(n * 2);
    }
  }

  /**
   * Short words (most of them): symbols in an array, with the rank of each adjacent pair
   * cached; each step merges the leftmost lowest-ranked pair and re-ranks its two neighbours.
   */
  private mergeShort(n: number): Int32Array {
    const ids = this.scratch;
    const ranks = this.scratchRanks;
    const rankAt = (i: number): number => {
      const merge = this.merges.get(ids[i]! * ID_SPACE + ids[i + 1]!);
      return merge === undefined ? Infinity : merge;
    };
    let len = n;
    for (let i = 0; i + 1 < len; i++) ranks[i] = rankAt(i);
    for (;;) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < len; i++) if (ranks[i]! < best) { best = ranks[i]!; at = i; }
      if (at < 0) break;
      ids[at] = best % ID_SPACE;
      for (let i = at + 1; i + 1 < len; i++) { ids[i] = ids[i + 1]!; ranks[i] = ranks[i + 1]!; }
      len--;
      if (at + 1 < len) ranks[at] = rankAt(at);
      if (at > 0) ranks[at - 1] = rankAt(at - 1);
    }
    return ids.slice(0, len);
  }

  /** Long words (e.g. unspaced CJK runs): a linked list and a heap of candidate pairs, O(n log n). */
  private mergeLong(n: number): Int32Array {
    const ids = this.scratch.slice(0, n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) { next[i] = i + 1; prev[i] = i - 1; }
    next[n - 1] = -1;
    const heap = new PairHeap();
    const consider = (pos: number): void => {
      const right = next[pos]!;
      if (right < 0) return;
      const merge = this.merges.get(ids[pos]! * ID_SPACE + ids[right]!);
      if (merge !== undefined) heap.push(Math.floor(merge / ID_SPACE), pos);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    const alive = new Uint8Array(n).fill(1);
    while (heap.size > 0) {
      const [rank, pos] = heap.pop();
      if (!alive[pos]) continue;
      const right = next[pos]!;
      if (right < 0) continue;
      const merge = this.merges.get(ids[pos]! * ID_SPACE + ids[right]!);
      // Stale entry: the pair at `pos` changed since it was queued.
      if (merge === undefined || Math.floor(merge / ID_SPACE) !== rank) continue;
      ids[pos] = merge % ID_SPACE;
      alive[right] = 0;
      next[pos] = next[right]!;
      if (next[pos]! >= 0) prev[next[pos]!] = pos;
      if (prev[pos]! >= 0) consider(prev[pos]!);
      consider(pos);
    }
    const merged: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) merged.push(ids[i]!);
    return Int32Array.from(merged);
  }
}

/** Min-heap of (rank, position) pairs, ordered by rank then position. */
class PairHeap {
  private ranks: number[] = [];
  private positions: number[] = [];
  get size(): number { return this.ranks.length; }

  push(rank: number, pos: number): void {
    const r = this.ranks;
    const p = this.positions;
    let i = r.length;
    r.push(rank);
    p.push(pos);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (r[parent]! < rank || (r[parent] === rank && p[parent]! < pos)) break;
      r[i] = r[parent]!; p[i] = p[parent]!;
      i = parent;
    }
    r[i] = rank; p[i] = pos;
  }

  pop(): [number, number] {
    const r = this.ranks;
    const p = this.positions;
    const top: [number, number] = [r[0]!, p[0]!];
    const lastRank = r.pop()!;
    const lastPos = p.pop()!;
    const n = r.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && (r[child + 1]! < r[child]! || (r[child + 1] === r[child] && p[child + 1]! < p[child]!))) child++;
        if (r[child]! > lastRank || (r[child] === lastRank && p[child]! > lastPos)) break;
        r[i] = r[child]!; p[i] = p[child]!;
        i = child;
      }
      r[i] = lastRank; p[i] = lastPos;
    }
    return top;
  }
}

/** Growable Int32Array for one document's ids. */
class IdBuffer {
  private data: Int32Array;
  private length = 0;
  constructor(capacity: number) { this.data = new Int32Array(Math.max(16, capacity)); }

  push(id: number): void {
    if (this.length === this.data.length) this.grow(1);
    this.data[this.length++] = id;
  }

  pushAll(ids: Int32Array): void {
    if (this.length + ids.length > this.data.length) this.grow(ids.length);
    if (ids.length === 1) this.data[this.length++] = ids[0]!;
    else { this.data.set(ids, this.length); this.length += ids.length; }
  }

  finish(): Int32Array { return this.data.slice(0, this.length); }

  private grow(extra: number): void {
    const bigger = new Int32Array(Math.max(this.data.length * 2, this.length + extra));
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }
}

let byteChars: string[] | undefined;
/** The byte-level spelling of a word given as byte-symbol ids. */
function byteString(ids: Int32Array, n: number, byteOfId: Map<number, number>): string {
  byteChars ??= byteLevelChars();
  let s = '';
  for (let i = 0; i < n; i++) s += byteChars[byteOfId.get(ids[i]!)!];
  return s;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
