/** One line of a file, without its newline. */
export interface Line {
  /** The line's bytes (empty when `overlong`: they were dropped to bound memory). */
  readonly bytes: Buffer;
  /** 1-based line number in the decoded file. */
  readonly line: number;
  /** Byte offset of the line's first byte in the decoded file. */
  readonly offset: number;
  /** Length in bytes, newline excluded (also for an overlong line). */
  readonly length: number;
  /** False only for a last line that has no trailing newline. */
  readonly terminated: boolean;
  /** True when the line was longer than `maxLineBytes`. */
  readonly overlong: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits decoded byte chunks into lines with exact line numbers and byte offsets.
 *
 * Pull it synchronously with `take()` as long as it has data; only when `take()` answers
 * `undefined` is an `await fill()` needed. That keeps per-line work free of promises: lines are
 * found with `Buffer.indexOf` inside the current chunk and are views on it, never copies (except
 * a line that spans chunks). A line longer than `maxLineBytes` is measured but not kept.
 */
export class LineReader {
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private parts: Buffer[] = [];
  private partLen = 0;
  private overlong = false;
  private ended = false;
  private readonly iterator: AsyncIterator<Buffer>;
  /** Offset and number of the next line `take()` returns. */
  nextOffset: number;
  nextLine: number;

  constructor(chunks: AsyncIterable<Buffer>, start: { offset: number; line: number }, private readonly maxLineBytes: number) {
    this.iterator = chunks[Symbol.asyncIterator]();
    this.nextOffset = start.offset;
    this.nextLine = start.line;
  }

  /** The next line; `null` at the end of the data; `undefined` when `fill()` must run first. */
  take(): Line | null | undefined {
    if (this.pos < this.chunk.length) {
      const nl = this.chunk.indexOf(10, this.pos);
      if (nl >= 0) {
        const piece = this.chunk.subarray(this.pos, nl);
        this.pos = nl + 1;
        return this.emit(piece, true);
      }
      this.stash(this.chunk.subarray(this.pos));
      this.pos = this.chunk.length;
    }
    if (!this.ended) return undefined;
    if (this.partLen > 0) return this.emit(EMPTY, false);
    return null;
  }

  /** Pull the next chunk from the decoder; decoding errors surface here. */
  async fill(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done) this.ended = true;
    else {
      this.chunk = next.value;
      this.pos = 0;
    }
  }

  /** Stop the underlying decoder early. */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }

  private stash(piece: Buffer): void {
    if (piece.length === 0) return;
    this.partLen += piece.length;
    if (this.overlong) return;
    if (this.partLen > this.maxLineBytes) {
      this.overlong = true;
      this.parts = [];
      return;
    }
    this.parts.push(piece);
  }

  private emit(last: Buffer, terminated: boolean): Line {
    let bytes = last;
    let length = last.length;
    let overlong = false;
    if (this.partLen > 0) {
      length += this.partLen;
      overlong = this.overlong || length > this.maxLineBytes;
      bytes = overlong ? EMPTY : Buffer.concat([...this.parts, last], length);
      this.parts = [];
      this.partLen = 0;
      this.overlong = false;
    } else if (length > this.maxLineBytes) {
      overlong = true;
      bytes = EMPTY;
    }
    const line: Line = { bytes, line: this.nextLine, offset: this.nextOffset, length, terminated, overlong };
    this.nextLine += 1;
    this.nextOffset += length + (terminated ? 1 : 0);
    return line;
  }
}
