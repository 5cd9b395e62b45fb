import { appendFile } from 'node:fs/promises';
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { writeFileAtomic } from './atomic-file.js';
import { encodeParquet } from './parquet-encode.js';
import { END_OF_STREAM, arrowStreamPath, batchMessages, partPath, withoutEos, type PreparedTable } from './part-files.js';
import { TableBuffer } from './table-buffer.js';
import type { Row, TableSpec } from './table-spec.js';

export interface FlushPolicy {
  /** Flush when this many rows are buffered. */
  readonly everyRows: number;
  /** Also flush when this many seconds passed since the last flush (checked as rows arrive). 0 = off. */
  readonly everySeconds: number;
}

export interface RollingTableSinkOptions {
  readonly runDir: string;
  readonly spec: TableSpec;
  readonly flush: FlushPolicy;
  /** Also append every flushed batch to `<table>.arrows` (Arrow IPC stream) for live readers. */
  readonly arrowStream?: boolean;
  /** From `prepareTable` (part numbering and the existing stream's schema). */
  readonly prepared: PreparedTable;
  /** Clock in ms (tests). */
  readonly now?: () => number;
  /** Crash-test hook, called between the temp write and the rename. */
  readonly beforeRename?: () => void;
}

/**
 * One statistics table written as rolling Parquet parts: every flush becomes one complete
 * part file (`routing/experts-00007.parquet`, one ZSTD row group), written under a temp
 * name and renamed, so a reader never sees a partial file and a crash loses only rows not
 * yet flushed. Flushes run one at a time; `idle()` lets the producer wait for them.
 */
export class RollingTableSink {
  private readonly buffer: TableBuffer;
  private nextPart: number;
  private lastFlush: number;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private streamStarted: boolean;
  private readonly now: () => number;
  rowsWritten = 0;
  partsWritten = 0;

  constructor(private readonly opts: RollingTableSinkOptions) {
    this.buffer = new TableBuffer(opts.spec);
    this.nextPart = opts.prepared.nextPart;
    this.now = opts.now ?? Date.now;
    this.lastFlush = this.now();
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

  get bufferedRows(): number { return this.buffer.rows; }

  append(row: Row): void {
    if (this.failure) throw this.failure;
    this.buffer.append(row);
    const { everyRows, everySeconds } = this.opts.flush;
    if (this.buffer.rows >= everyRows || (everySeconds > 0 && this.now() - this.lastFlush >= everySeconds * 1000)) void this.flush().catch(() => undefined);
  }

  /** Resolves when no flush is running; rejects with a flush's error. */
  async idle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  /** Write what is buffered as a new part (nothing when empty). */
  flush(): Promise<void> {
    const batch = this.buffer.take();
    this.lastFlush = this.now();
    if (!batch) return this.idle();
    const part = this.nextPart++;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.writePart(batch, part);
      } catch (e) {
        this.failure = new Error(`${this.opts.spec.path}: writing part ${part} failed: ${(e as Error).message}`, { cause: e });
      }
    });
    return this.idle();
  }

  private async writePart(batch: RecordBatch, part: number): Promise<void> {
    const { runDir, spec } = this.opts;
    await writeFileAtomic(partPath(runDir, spec.path, part), encodeParquet(batch), this.opts.beforeRename);
    if (this.opts.arrowStream) {
      const ipc = tableToIPC(new Table([batch]), 'stream');
      const path = arrowStreamPath(runDir, spec.path);
      if (this.streamStarted) await appendFile(path, batchMessages(ipc));
      else await writeFileAtomic(path, withoutEos(ipc));
      this.streamStarted = true;
    }
    this.rowsWritten += batch.numRows;
    this.partsWritten++;
  }

  /** Flush the rest and end the Arrow stream properly. */
  async close(): Promise<void> {
    await this.flush();
    if (this.opts.arrowStream && this.streamStarted) await appendFile(arrowStreamPath(this.opts.runDir, this.opts.spec.path), END_OF_STREAM);
  }
}
