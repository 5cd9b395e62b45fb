import { Xxh64 } from './xxh64.js';
import { rzb as readBlockUntyped, rzfh as readFrameHeaderUntyped } from '../../vendor/fzstd/fzstd-blocks.js';

/**
 * A pull-based, pure-JS Zstandard stream decoder built on fzstd's block decoder.
 *
 * Why not fzstd's own `Decompress`: it allocates the whole declared window up front (2 GiB for
 * SlimPajama's `--long=31` files), refuses windows over 2046 MB, shifts the whole window on every
 * block, and pushes every block of an input chunk at once (a highly compressed chunk can expand
 * without bound). Here the caller pulls one block (at most 128 KiB) at a time, and the history is
 * kept lazily: never more than min(window, bytes produced in this frame) plus amortised slack.
 *
 * Content checksums are verified (fzstd skips them): when a frame declares one (Frame_Header_Descriptor
 * bit 2), the low 32 bits of the XXH64 of its decoded bytes must match the 4 bytes after its last
 * block, or `next()` throws. Blocks before the mismatch have already been returned (as with the
 * zstd CLI, which writes block by block): the caller learns at the end of the frame.
 */

/** The frame state fzstd's block decoder reads and updates (its field names). */
interface FrameState {
  /** read position in the input array */
  b: number;
  /** 1 after the frame's last block */
  l: number;
  /** history (older output), indexed as w[e - distance] */
  w: Uint8Array;
  /** end of the history in `w` */
  e: number;
  /** 1 when a 4-byte checksum follows the last block */
  c: number;
  /** maximum block size */
  m: number;
}

type ReadFrameHeader = (dat: Uint8Array, maxWindow: number) => FrameState | number;
type ReadBlock = (dat: Uint8Array, st: FrameState) => Uint8Array | undefined;
const readFrameHeader = readFrameHeaderUntyped as unknown as ReadFrameHeader;
const readBlock = readBlockUntyped as unknown as ReadBlock;

/** Largest window the zstd format allows for decoding on 64-bit (ZSTD_WINDOWLOG_MAX = 31). */
export const ZSTD_MAX_WINDOW = 2 ** 31;
const MAX_BLOCK = 128 * 1024;
const EMPTY = new Uint8Array(0);

export class ZstdStreamDecoder {
  private input: Uint8Array = EMPTY;
  private pos = 0;
  private frame: FrameState | null = null;
  private window = 0;
  private skip = 0;
  private history: Uint8Array = EMPTY;
  private historyLen = 0;
  private sawInput = false;
  /** XXH64 of this frame's output so far, when the frame carries a content checksum. */
  private hasher: Xxh64 | null = null;
  /** The last block was read; its 4-byte checksum is next in the input. */
  private checksumDue = false;

  constructor(private readonly maxWindow: number = ZSTD_MAX_WINDOW) {}

  /** Hand over the next compressed bytes (the array is kept by reference until consumed). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.sawInput = true;
    if (this.pos >= this.input.length) {
      this.input = chunk;
      this.pos = 0;
      return;
    }
    const rest = this.input.length - this.pos;
    const joined = new Uint8Array(rest + chunk.length);
    joined.set(this.input.subarray(this.pos), 0);
    joined.set(chunk, rest);
    this.input = joined;
    this.pos = 0;
  }

  /** The next decoded block, or null when more input is needed for it. Throws on invalid data. */
  next(): Uint8Array | null {
    for (;;) {
      const avail = this.input.length - this.pos;
      if (this.skip > 0) {
        const n = Math.min(this.skip, avail);
        this.pos += n;
        this.skip -= n;
        if (this.skip > 0) return null;
        continue;
      }
      if (this.checksumDue) {
        if (avail < 4) return null;
        this.verifyChecksum();
        continue;
      }
      if (this.frame === null) {
        const need = this.headerLength();
        if (need === null || avail < need) return null;
        const header = readFrameHeader(this.input.subarray(this.pos), this.maxWindow);
        if (typeof header === 'number') {
          this.skip = header; // skippable frame, header included
          continue;
        }
        this.pos += header.b;
        this.window = header.e;
        this.frame = header;
        this.historyLen = 0;
        this.hasher = header.c ? new Xxh64() : null;
        continue;
      }
      if (avail < 3) return null;
      const d = this.input;
      const p = this.pos;
      const type = (d[p]! >> 1) & 3;
      const size = (d[p]! >> 3) | (d[p + 1]! << 5) | (d[p + 2]! << 13);
      if (size > MAX_BLOCK) throw new Error(`invalid zstd data: block size ${size} exceeds ${MAX_BLOCK}`);
      if (avail < 3 + (type === 1 ? 1 : size)) return null;
      const st = this.frame;
      st.b = p;
      st.w = this.history;
      st.e = this.historyLen;
      const block = readBlock(d, st);
      if (block === undefined) throw new Error('invalid zstd data: block could not be read');
      this.pos = st.b;
      this.remember(block);
      this.hasher?.update(block);
      if (st.l) {
        this.checksumDue = this.hasher !== null;
        this.frame = null;
      }
      if (block.length > 0) return block;
    }
  }

  /** Call after the last push: throws when the input ended inside a frame (a truncated file). */
  finish(): void {
    if (!this.sawInput) throw new Error('unexpected end of file: no zstd frame (empty input)');
    if (this.frame !== null || this.checksumDue || this.skip > 0 || this.pos < this.input.length) {
      throw new Error('unexpected end of file: the zstd stream ends inside a frame (truncated?)');
    }
  }

  /** Compressed bytes held but not decoded yet. */
  bufferedInput(): number {
    return this.input.length - this.pos;
  }

  /** Bytes allocated for the match history (grows lazily up to about 1.25 × window). */
  historyCapacity(): number {
    return this.history.length;
  }

  private verifyChecksum(): void {
    const d = this.input;
    const p = this.pos;
    const stored = (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
    const actual = Number(this.hasher!.digest() & 0xffffffffn);
    this.pos += 4;
    this.checksumDue = false;
    this.hasher = null;
    if (stored !== actual) {
      throw new Error(`content checksum mismatch: the frame stores ${hex(stored)}, the decoded data hashes to ${hex(actual)} (corrupt data)`);
    }
  }

  private headerLength(): number | null {
    const d = this.input;
    const p = this.pos;
    if (d.length - p < 5) return null;
    if (d[p] === 0x28 && d[p + 1] === 0xb5 && d[p + 2] === 0x2f && d[p + 3] === 0xfd) {
      const fhd = d[p + 4]!;
      const single = (fhd >> 5) & 1;
      const dictBytes = [0, 1, 2, 4][fhd & 3]!;
      const fcf = fhd >> 6;
      const sizeBytes = fcf ? 1 << fcf : single;
      return 5 + (single ? 0 : 1) + dictBytes + sizeBytes;
    }
    return 8; // skippable frame header (or invalid data, which readFrameHeader reports)
  }

  /** Keep the last `window` bytes of output for matches, growing the buffer only as output arrives. */
  private remember(block: Uint8Array): void {
    if (this.historyLen + block.length > this.history.length) {
      const keep = Math.min(this.historyLen, this.window);
      const needed = keep + block.length;
      const limit = this.window + Math.max(1 << 20, this.window >> 2);
      if (needed * 2 <= this.history.length || this.history.length >= limit) {
        this.history.copyWithin(0, this.historyLen - keep, this.historyLen);
      } else {
        const grown = new Uint8Array(Math.min(limit, Math.max(needed * 2, 1 << 18)));
        grown.set(this.history.subarray(this.historyLen - keep, this.historyLen), 0);
        this.history = grown;
      }
      this.historyLen = keep;
    }
    this.history.set(block, this.historyLen);
    this.historyLen += block.length;
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
