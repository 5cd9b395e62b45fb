import type { DecodedBytes } from '../decode/decoded-bytes.js';
import { LineReader } from '../lines/line-reader.js';
import { isBlank } from '../slimpajama/parse-record.js';
import { JsonArraySplitter, type SplitFailure } from './json-array-splitter.js';

/** The raw bytes of one record of a LLaVA file, with where they are. */
export interface RawRecord {
  readonly bytes: Buffer;
  /** 0-based index of the record in its file (array element, or non-blank line). */
  readonly index: number;
  /** 1-based line of a `.jsonl` record; for a `.json` array, the element's byte offset is the place. */
  readonly line?: number;
  readonly offset: number;
  readonly overlong: boolean;
  /** False for a `.jsonl` last line without newline (a parse failure there means a cut-off file). */
  readonly terminated: boolean;
}

/** Where a file is continued: decoded byte offset, next record index, next line (`.jsonl`). */
export interface FilePosition {
  offset: number;
  index: number;
  line: number;
}

export type FileFormat = 'json' | 'jsonl';

/** `.jsonl` (plain or compressed) holds one record per line; anything else one JSON array. */
export function formatOf(file: string): FileFormat {
  return /\.jsonl(\.(gz|zst|zstd))?$/i.test(file) ? 'jsonl' : 'json';
}

/**
 * Records of one file, pulled like `LineReader`: `take()` while it answers, `await fill()` on
 * `undefined`, `null` at the end. A `SplitFailure` is the unreadable rest of a `.json` file.
 * `position` is always the place after the last record taken.
 */
export interface RecordReader {
  take(): RawRecord | SplitFailure | null | undefined;
  fill(): Promise<void>;
  close(): Promise<void>;
  readonly position: FilePosition;
  /** Whitespace-only lines of a `.jsonl` file passed so far (neither records nor errors). */
  readonly blankLines: number;
  /** Whether the file had any bytes from the start position on (an empty file is one slot of its own). */
  readonly sawBytes: boolean;
}

export function openRecordReader(bytes: DecodedBytes, format: FileFormat, start: FilePosition, maxRecordBytes: number): RecordReader {
  return format === 'jsonl' ? jsonlReader(bytes, start, maxRecordBytes) : jsonReader(bytes, start, maxRecordBytes);
}

function jsonlReader(bytes: DecodedBytes, start: FilePosition, maxRecordBytes: number): RecordReader {
  const lines = new LineReader(bytes, start, maxRecordBytes);
  const position = { ...start };
  let blankLines = 0;
  return {
    position,
    get blankLines() { return blankLines; },
    get sawBytes() { return lines.nextOffset > start.offset || lines.nextLine > start.line; },
    take() {
      for (;;) {
        const line = lines.take();
        if (line === undefined || line === null) return line;
        position.offset = line.offset + line.length + (line.terminated ? 1 : 0);
        position.line = line.line + 1;
        if (isBlank(line)) { blankLines++; continue; }
        const index = position.index++;
        return { bytes: line.bytes, index, line: line.line, offset: line.offset, overlong: line.overlong, terminated: line.terminated };
      }
    },
    fill: () => lines.fill(),
    close: () => lines.close(),
  };
}

function jsonReader(bytes: DecodedBytes, start: FilePosition, maxRecordBytes: number): RecordReader {
  const splitter = new JsonArraySplitter(bytes, { offset: start.offset, index: start.index, inArray: start.index > 0 }, maxRecordBytes);
  const position = { ...start };
  return {
    position,
    blankLines: 0,
    get sawBytes() { return splitter.bytesSeen > start.offset; },
    take() {
      const element = splitter.take();
      if (element === undefined || element === null || !('bytes' in element)) return element;
      position.offset = element.end;
      position.index = element.index + 1;
      return { bytes: element.bytes, index: element.index, offset: element.offset, overlong: element.overlong, terminated: true };
    },
    fill: () => splitter.fill(),
    close: () => splitter.close(),
  };
}
