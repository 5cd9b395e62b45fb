import type { DecodedBytes } from '../decode/decoded-bytes.js';
import { type Line, LineReader } from '../lines/line-reader.js';
import { isBlank, type SkipReason } from './parse-record.js';

/** Where a partition continues: file index in the partition, decoded byte offset, 1-based line. */
export interface PartitionPosition {
  file: number;
  offset: number;
  line: number;
}

/**
 * One slot of the global order: a non-blank line, or a problem with a whole file (the rest of a
 * corrupt stream, an empty or unreadable file) that takes one slot so it is counted exactly once.
 */
export type Slot =
  | { readonly kind: 'line'; readonly file: string; readonly line: Line }
  | { readonly kind: 'issue'; readonly file: string; readonly lineNo: number; readonly reason: SkipReason; readonly detail: string };

export type OpenFile = (file: string, start: number) => DecodedBytes;

/**
 * Reads the files of one canonical partition one after the other, as slots.
 * `position` is always the place after the last slot taken, never the read-ahead.
 */
export class PartitionReader {
  private reader: LineReader | null = null;
  private pendingIssue: Slot | null = null;
  position: PartitionPosition | null;

  constructor(
    private readonly files: readonly string[],
    start: PartitionPosition | null,
    private readonly open: OpenFile,
    private readonly maxLineBytes: number,
    private readonly onBlank: (file: string) => void,
  ) {
    this.position = start && start.file < files.length ? { ...start } : null;
  }

  /** The next slot; `null` when the partition is exhausted; `undefined` when `fill()` must run first. */
  take(): Slot | null | undefined {
    for (;;) {
      const pos = this.position;
      if (pos === null) return null;
      if (this.pendingIssue) {
        const issue = this.pendingIssue;
        this.pendingIssue = null;
        this.nextFile();
        return issue;
      }
      if (this.reader === null) return undefined;
      const line = this.reader.take();
      if (line === undefined) return undefined;
      const file = this.files[pos.file]!;
      if (line === null) {
        const empty = pos.offset === 0;
        this.reader = null;
        this.nextFile();
        if (empty) return { kind: 'issue', file, lineNo: 1, reason: 'empty_file', detail: 'the file has no bytes' };
        continue;
      }
      pos.offset = line.offset + line.length + (line.terminated ? 1 : 0);
      pos.line = line.line + 1;
      if (isBlank(line)) {
        this.onBlank(file);
        continue;
      }
      return { kind: 'line', file, line };
    }
  }

  /** Opens the current file or pulls its next chunk. A decoding error becomes the file's last slot. */
  async fill(): Promise<void> {
    const pos = this.position;
    if (pos === null || this.pendingIssue) return;
    const file = this.files[pos.file]!;
    if (this.reader === null) {
      this.reader = new LineReader(this.open(file, pos.offset), pos, this.maxLineBytes);
      return;
    }
    try {
      await this.reader.fill();
    } catch (error) {
      const reader = this.reader;
      this.reader = null;
      await reader.close().catch(() => undefined);
      const cause = (error as { cause?: { code?: unknown } }).cause;
      // errno codes (ENOENT, EACCES, EISDIR …), not Node's ERR_* or zlib's Z_* codes
      const unreadable = typeof cause?.code === 'string' && /^E[A-Z]+$/.test(cause.code);
      this.pendingIssue = {
        kind: 'issue', file, lineNo: reader.nextLine,
        reason: unreadable ? 'unreadable_file' : 'corrupt_stream',
        detail: (error as Error).message,
      };
    }
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    await reader?.close().catch(() => undefined);
  }

  private nextFile(): void {
    const pos = this.position!;
    this.position = pos.file + 1 < this.files.length ? { file: pos.file + 1, offset: 0, line: 1 } : null;
  }
}
