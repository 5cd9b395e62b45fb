import { appendFile } from 'node:fs/promises';
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { writeFileAtomic } from './atomic-file.js';
import { END_OF_STREAM, arrowStreamPath, batchMessages, partPath, withoutEos, type PreparedTable } from './part-files.js';
import { TableBuffer } from './table-buffer.js';
import type { Row, TableSpec } from './table-spec.js';

export interface FlushPolicy {
  /** Flush (every table of the run) once a table holds this many rows, checked at the end of each step. */
  readonly everyRows: number;
  /** Also flush when this many seconds passed since the last flush, checked at the end of each step. 0 = off. */
  readonly everySeconds: number;
}

export interface RollingTableSinkOptions {
  readonly runDir: string;
  readonly spec: TableSpec;
  /** Also append every committed part to `<table>.arrows` (Arrow IPC stream) for live readers. */
  readonly arrowStream?: boolean;
  /** From `prepareTable` (part numbering and the existing stream's schema). */
  readonly prepared: PreparedTable;
}

/** Rows taken from a table's buffer as its next part, waiting to be committed. */
export interface StagedPart {
  readonly table: RollingTableSink;
  readonly batch: RecordBatch;
  /** Final path of the part. */
  readonly path: string;
}

/**
 * One statistics table written as rolling Parquet parts (`routing/experts-00007.parquet`,
 * one ZSTD row group each). The table does not decide when to flush: the run's sink takes
 * a part from every table at a step boundary and commits them together
 * (`commitPartGroup`), so no table shows a step the others do not.
 */
export class RollingTableSink {
  private readonly buffer: TableBuffer;
  private nextPart: number;
  private streamStarted: boolean;
  rowsWritten = 0;
  partsWritten = 0;

  constructor(private readonly opts: RollingTableSinkOptions) {
    this.buffer = new TableBuffer(opts.spec);
    this.nextPart = opts.prepared.nextPart;
    const existing = opts.prepared.streamSchema;
    if (opts.arrowStream && existing) {
      const want = this.buffer.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(',');
      const have = existing.fields.map((f) => `${f.name}:${String(f.type)}`).join(',');
      if (want !== have) {
        throw new Error(`${arrowStreamPath(opts.runDir, opts.spec.path)}: existing stream has columns [${have}], this run writes [${want}]; move the file away to resume`);
      }
    }
    this.streamStarted = existing !== undefined;
  }

  get spec(): TableSpec { return this.opts.spec; }

  get bufferedRows(): number { return this.buffer.rows; }

  append(row: Row): void {
    this.buffer.append(row);
  }

  /** What is buffered, as the next part (undefined when nothing is). */
  take(): StagedPart | undefined {
    const batch = this.buffer.take();
    if (!batch) return undefined;
    return { table: this, batch, path: partPath(this.opts.runDir, this.opts.spec.path, this.nextPart++) };
  }

  /** After the part's group was committed: extend the live Arrow stream and count it. */
  async committed(part: StagedPart): Promise<void> {
    if (this.opts.arrowStream) {
      const ipc = tableToIPC(new Table([part.batch]), 'stream');
      const path = arrowStreamPath(this.opts.runDir, this.opts.spec.path);
      if (this.streamStarted) await appendFile(path, batchMessages(ipc));
      else await writeFileAtomic(path, withoutEos(ipc));
      this.streamStarted = true;
    }
    this.rowsWritten += part.batch.numRows;
    this.partsWritten++;
  }

  /** End the Arrow stream properly (call after the last commit). */
  async close(): Promise<void> {
    if (this.opts.arrowStream && this.streamStarted) await appendFile(arrowStreamPath(this.opts.runDir, this.opts.spec.path), END_OF_STREAM);
  }
}
