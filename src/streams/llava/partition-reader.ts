import type { DecodedBytes } from '../decode/decoded-bytes.js';
import type { LlavaSkipReason } from './parse-record.js';
import { type FilePosition, type RawRecord, type RecordReader, formatOf, openRecordReader } from './record-reader.js';

/** Where a partition continues: file index in the partition, then the position in that file. */
export interface LlavaPartitionPosition extends FilePosition {
  file: number;
}

/**
 * One slot of the global order: a record, or a problem with (the rest of) a file that takes
 * one slot so it is counted exactly once.
 */
export type LlavaSlot =
  | { readonly kind: 'record'; readonly file: string; readonly raw: RawRecord }
  | { readonly kind: 'issue'; readonly file: string; readonly index: number; readonly reason: LlavaSkipReason; readonly detail: string };

export type OpenFile = (file: string, start: number) => DecodedBytes;

/** Reads the files of one canonical partition one after the other, as slots (see ../slimpajama/partition-reader.ts). */
export class LlavaPartitionReader {
  private reader: RecordReader | null = null;
  private pendingIssue: LlavaSlot | null = null;
  private blankSeen = 0;
  position: LlavaPartitionPosition | null;

  constructor(
    private readonly files: readonly string[],
    start: LlavaPartitionPosition | null,
    private readonly open: OpenFile,
    private readonly maxRecordBytes: number,
    private readonly onBlank: (file: string) => void,
  ) {
    this.position = start && start.file < files.length ? { ...start } : null;
  }

  /** The next slot; `null` when the partition is exhausted; `undefined` when `fill()` must run first. */
  take(): LlavaSlot | null | undefined {
    for (;;) {
      const pos = this.position;
      if (pos === null) return null;
      if (this.pendingIssue) {
        const issue = this.pendingIssue;
        this.pendingIssue = null;
        this.nextFile();
        return issue;
      }
      const reader = this.reader;
      if (reader === null) return undefined;
      const taken = reader.take();
      this.countBlanks(reader);
      if (taken === undefined) return undefined;
      const file = this.files[pos.file]!;
      if (taken === null) {
        const empty = pos.offset === 0 && !reader.sawBytes;
        this.closeReader();
        this.nextFile();
        if (empty) return { kind: 'issue', file, index: 0, reason: 'empty_file', detail: 'the file has no bytes' };
        continue;
      }
      if (!('bytes' in taken)) {
        // The rest of a malformed `.json` array: one slot, then the next file.
        this.closeReader();
        this.nextFile();
        return { kind: 'issue', file, index: reader.position.index, reason: taken.reason, detail: `${taken.detail} (byte ${taken.offset})` };
      }
      Object.assign(pos, reader.position);
      return { kind: 'record', file, raw: taken };
    }
  }

  /** Opens the current file or pulls its next chunk. A decoding error becomes the file's last slot. */
  async fill(): Promise<void> {
    const pos = this.position;
    if (pos === null || this.pendingIssue) return;
    const file = this.files[pos.file]!;
    if (this.reader === null) {
      this.reader = openRecordReader(this.open(file, pos.offset), formatOf(file), pos, this.maxRecordBytes);
      this.blankSeen = 0;
      return;
    }
    try {
      await this.reader.fill();
    } catch (error) {
      const reader = this.reader;
      this.closeReader();
      const cause = (error as { cause?: { code?: unknown } }).cause;
      // errno codes (ENOENT, EACCES, EISDIR …), not Node's ERR_* or zlib's Z_* codes
      const unreadable = typeof cause?.code === 'string' && /^E[A-Z]+$/.test(cause.code);
      this.pendingIssue = {
        kind: 'issue', file, index: reader.position.index,
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

  private closeReader(): void {
    const reader = this.reader;
    this.reader = null;
    void reader?.close().catch(() => undefined);
  }

  private countBlanks(reader: RecordReader): void {
    while (this.blankSeen < reader.blankLines) {
      this.blankSeen++;
      this.onBlank(this.files[this.position!.file]!);
    }
  }

  private nextFile(): void {
    const pos = this.position!;
    this.position = pos.file + 1 < this.files.length ? { file: pos.file + 1, offset: 0, index: 0, line: 1 } : null;
  }
}
