/**
 * Splits the bytes of one top-level JSON array (`[ {...}, {...}, ... ]`) into the bytes of its
 * elements, incrementally, without parsing them: LLaVA-665K is one ~1 GB array, and
 * `JSON.parse` of it whole would need several GB. Memory stays bounded by one element (plus the
 * current chunk); an element longer than `maxRecordBytes` is measured but not kept.
 *
 * Pull it like `LineReader`: `take()` synchronously while it answers an element; on `undefined`
 * `await fill()`; `null` is the end. It can start at any byte offset that lies right after an
 * element (or after the opening `[`): that is how a resumed source seeks.
 *
 * Byte-level scanning is safe for UTF-8: the structural characters `[]{}",\` are ASCII and never
 * occur inside a multi-byte sequence. Elements are validated later by `JSON.parse`; the splitter
 * only needs to find where each one ends (brackets outside strings, string escapes).
 */

/** One array element, as raw bytes. */
export interface ArrayElement {
  /** The element's bytes (empty when `overlong`). */
  readonly bytes: Buffer;
  /** 0-based index of the element in the array. */
  readonly index: number;
  /** Byte offset of the element's first byte. */
  readonly offset: number;
  /** Byte offset just after the element: a position to resume from. */
  readonly end: number;
  /** Longer than `maxRecordBytes`: bytes dropped. */
  readonly overlong: boolean;
}

/** Why the rest of a file cannot be split: the file's last slot. */
export interface SplitFailure {
  readonly reason: 'not_an_array' | 'invalid_json' | 'truncated_array';
  readonly detail: string;
  /** Byte offset where the problem was found. */
  readonly offset: number;
}

/** Where a split starts: the very beginning, or just after element `index − 1`. */
export interface SplitStart {
  readonly offset: number;
  /** Index of the next element. */
  readonly index: number;
  /** False only at the file's start (the `[` is still to come). */
  readonly inArray: boolean;
}

const enum Mode {
  /** Before `[` (whitespace and a UTF-8 BOM allowed). */
  BeforeArray,
  /** After `[` or after a `,`: an element or (only right after `[`) `]`. */
  ExpectElement,
  /** Inside an element. */
  InElement,
  /** After an element: `,` or `]`. */
  AfterElement,
  /** After the closing `]`: only whitespace. */
  Done,
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d, OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

const EMPTY = Buffer.alloc(0);

export class JsonArraySplitter {
  private chunk: Buffer = EMPTY;
  /** Offset of `chunk[0]` in the file. */
  private chunkStart: number;
  private pos = 0;
  private ended = false;
  private mode: Mode;
  private first: boolean;
  private index: number;
  // The element being scanned:
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** A bare value (number, true, false, null): ends at a delimiter, not at a bracket. */
  private scalar = false;
  private elementStart = 0;
  private parts: Buffer[] = [];
  private partLen = 0;
  private overlong = false;
  /** Sticky: once the array is malformed nothing after it can be trusted. */
  private failed: SplitFailure | null = null;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(chunks: AsyncIterable<Buffer>, start: SplitStart, private readonly maxRecordBytes: number) {
    this.iterator = chunks[Symbol.asyncIterator]();
    this.chunkStart = start.offset;
    this.index = start.index;
    this.mode = start.inArray ? Mode.AfterElement : Mode.BeforeArray;
    this.first = !start.inArray;
    // A resume right after `[` (no element yet) reads like the start of the array.
    if (start.inArray && start.index === 0) { this.mode = Mode.ExpectElement; this.first = true; }
  }

  /** Offset just after the last byte received from the file. */
  get bytesSeen(): number { return this.chunkStart + this.chunk.length; }

  /** Index of the next element `take()` would return. */
  get nextIndex(): number { return this.index; }

  /** The next element; a failure (sticky: the file's last slot); `null` at the end; `undefined`: `fill()` first. */
  take(): ArrayElement | SplitFailure | null | undefined {
    if (this.failed) return this.failed;
    const b = this.chunk;
    let i = this.pos;
    const n = b.length;
    while (i < n) {
      const c = b[i]!;
      switch (this.mode) {
        case Mode.BeforeArray:
          if (c === OPEN_ARRAY) { this.mode = Mode.ExpectElement; i++; continue; }
          // A UTF-8 byte-order mark at the very start (EF BB BF).
          if (this.chunkStart + i < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) { i++; continue; }
          if (isSpace(c)) { i++; continue; }
          return this.fail('not_an_array', `the file does not start with a JSON array ('[') but with ${JSON.stringify(String.fromCharCode(c))}`, i);
        case Mode.ExpectElement:
          if (isSpace(c)) { i++; continue; }
          if (c === CLOSE_ARRAY && this.first) { this.mode = Mode.Done; i++; continue; }
          if (c === CLOSE_ARRAY || c === COMMA) return this.fail('invalid_json', `expected an array element, found ${JSON.stringify(String.fromCharCode(c))}`, i);
          this.beginElement(c, i);
          i++; // the first byte is classified: the scan goes on after it
          continue;
        case Mode.InElement: {
          const end = this.scan(b, i);
          if (end < 0) { i = n; continue; }
          this.pos = end;
          this.mode = Mode.AfterElement;
          this.first = false;
          return this.emit(b.subarray(this.elementStart, end), end);
        }
        case Mode.AfterElement:
          if (isSpace(c)) { i++; continue; }
          if (c === COMMA) { this.mode = Mode.ExpectElement; i++; continue; }
          if (c === CLOSE_ARRAY) { this.mode = Mode.Done; i++; continue; }
          return this.fail('invalid_json', `expected ',' or ']' after array element ${this.index - 1}, found ${JSON.stringify(String.fromCharCode(c))}`, i);
        case Mode.Done:
          if (isSpace(c)) { i++; continue; }
          return this.fail('invalid_json', `unexpected ${JSON.stringify(String.fromCharCode(c))} after the end of the array`, i);
      }
    }
    // The chunk is used up: keep the unfinished element's bytes.
    if (this.mode === Mode.InElement) this.stash(b.subarray(this.elementStart));
    this.elementStart = 0;
    this.pos = n;
    if (!this.ended) return undefined;
    if (this.mode === Mode.InElement) return this.fail('truncated_array', `the file ends inside array element ${this.index}`, n);
    if (this.mode === Mode.BeforeArray) return this.chunkStart + n === 0 ? null : this.fail('not_an_array', 'the file holds no JSON array', n);
    if (this.mode !== Mode.Done) return this.fail('truncated_array', `the file ends before the array's closing ']' (after ${this.index} elements)`, n);
    return null;
  }

  async fill(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done) { this.ended = true; return; }
    this.chunkStart += this.chunk.length;
    this.chunk = next.value;
    this.pos = 0;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }

  private beginElement(c: number, i: number): void {
    this.mode = Mode.InElement;
    this.elementStart = i;
    this.parts = [];
    this.partLen = 0;
    this.overlong = false;
    this.escaped = false;
    this.scalar = c !== OPEN_OBJECT && c !== OPEN_ARRAY && c !== QUOTE;
    this.inString = c === QUOTE;
    this.depth = c === OPEN_OBJECT || c === OPEN_ARRAY ? 1 : 0;
  }

  /** Scans the current element from `i`; returns the offset just after it in `b`, or −1 if it goes on. */
  private scan(b: Buffer, i: number): number {
    let j = i;
    const n = b.length;
    if (this.scalar) {
      for (; j < n; j++) {
        const c = b[j]!;
        if (c === COMMA || c === CLOSE_ARRAY || isSpace(c)) return j;
      }
      return -1;
    }
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (; j < n; j++) {
      const c = b[j]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (depth === 0) { this.resetScan(); return j + 1; }
        }
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) { this.resetScan(); return j + 1; }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return -1;
  }

  private resetScan(): void {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  private emit(last: Buffer, endInChunk: number): ArrayElement {
    let bytes = last;
    let length = last.length;
    let overlong = this.overlong;
    if (this.partLen > 0) {
      length += this.partLen;
      overlong ||= length > this.maxRecordBytes;
      bytes = overlong ? EMPTY : Buffer.concat([...this.parts, last], length);
    } else if (length > this.maxRecordBytes) overlong = true;
    if (overlong) bytes = EMPTY;
    this.parts = [];
    this.partLen = 0;
    this.overlong = false;
    const end = this.chunkStart + endInChunk;
    const element: ArrayElement = { bytes, index: this.index, offset: end - length, end, overlong };
    this.index++;
    return element;
  }

  private stash(piece: Buffer): void {
    if (piece.length === 0) return;
    this.partLen += piece.length;
    if (this.overlong) return;
    if (this.partLen > this.maxRecordBytes) {
      this.overlong = true;
      this.parts = [];
      return;
    }
    // Copy: the chunk it views is released when the next one arrives.
    this.parts.push(Buffer.from(piece));
  }

  private fail(reason: SplitFailure['reason'], detail: string, i: number): SplitFailure {
    this.failed = { reason, detail, offset: this.chunkStart + i };
    return this.failed;
  }
}
