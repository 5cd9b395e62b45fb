import { access, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Table, tableToIPC, type Schema } from 'apache-arrow';
import { TEMP_SUFFIX, writeFileAtomic } from './atomic-file.js';
import { encodeParquet } from './parquet-encode.js';
import { readArrowStreamPrefix, readParquetTable } from './read-part.js';
import { columnsOf, rowsWhere } from './table-from-arrow.js';
import { TableBuffer } from './table-buffer.js';

/** `routing/experts` + 3 → `routing/experts-00003.parquet` (zero-padded so names sort by number). */
export function partPath(runDir: string, tablePath: string, part: number): string {
  return join(runDir, `${tablePath}-${String(part).padStart(5, '0')}.parquet`);
}

export function arrowStreamPath(runDir: string, tablePath: string): string {
  return join(runDir, `${tablePath}.arrows`);
}

export interface PreparedTable {
  /** Number the next part gets: one past the highest part already on disk. */
  readonly nextPart: number;
  /** Existing parts after preparation, in order. */
  readonly parts: readonly string[];
  readonly removedTemps: readonly string[];
  /** Parts rewritten (or deleted when nothing remained) because they held steps > dropAfterStep. */
  readonly rewritten: readonly string[];
  /** Schema of an existing Arrow stream file that new batches will be appended to. */
  readonly streamSchema?: Schema;
}

export interface PrepareOptions {
  /** Resume from checkpoint step N: rows with step > N (written by the killed run) are removed. */
  readonly dropAfterStep?: number;
  readonly arrowStream?: boolean;
}

/**
 * Make a table's directory ready for appending: remove temp files a crash left behind,
 * continue the part numbering, and (on resume) rewrite every part that holds steps after
 * the checkpoint, so the resumed run's rows are not duplicated. Rewrites are atomic too.
 */
export async function prepareTable(runDir: string, tablePath: string, opts: PrepareOptions = {}): Promise<PreparedTable> {
  const dir = dirname(join(runDir, tablePath));
  const stem = basename(tablePath);
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  const removedTemps: string[] = [];
  for (const n of names) {
    if (n.startsWith(`${stem}-`) && n.endsWith(TEMP_SUFFIX)) { await rm(join(dir, n), { force: true }); removedTemps.push(n); }
  }
  const partRe = new RegExp(`^${escapeRe(stem)}-(\\d+)\\.parquet$`);
  const numbered = names.map((n) => ({ n, m: partRe.exec(n) })).filter((x) => x.m).map((x) => ({ name: x.n, num: Number(x.m![1]) }));
  numbered.sort((a, b) => a.num - b.num);
  const nextPart = numbered.length ? numbered[numbered.length - 1]!.num + 1 : 0;
  const rewritten: string[] = [];
  const parts: string[] = [];
  const cut = opts.dropAfterStep;
  for (const p of numbered) {
    const path = join(dir, p.name);
    if (cut !== undefined && (await rewriteWithoutLaterSteps(path, cut))) rewritten.push(p.name);
    if (await exists(path)) parts.push(path);
  }
  let streamSchema: Schema | undefined;
  const stream = arrowStreamPath(runDir, tablePath);
  // A stream from the interrupted run is filtered on resume even if this run writes none.
  if (opts.arrowStream) streamSchema = await prepareArrowStream(stream, cut, true);
  else if (cut !== undefined && (await exists(stream))) await prepareArrowStream(stream, cut, false);
  return { nextPart, parts, removedTemps, rewritten, streamSchema };
}

async function exists(path: string): Promise<boolean> {
  try { await access(path); return true; } catch { return false; }
}

/** Returns true when the part held rows after `cut` (it was rewritten, or deleted if nothing remained). */
async function rewriteWithoutLaterSteps(path: string, cut: number): Promise<boolean> {
  const table = await readParquetTable(path);
  const step = table.getChild('step');
  if (!step) throw new Error(`${path}: no "step" column, cannot resume it`);
  let later = false;
  for (let i = 0; i < table.numRows && !later; i++) later = Number(step.get(i)) > cut;
  if (!later) return false;
  const buf = new TableBuffer({ path, columns: columnsOf(table) });
  for (const row of rowsWhere(table, (s) => s <= cut)) buf.append(row);
  const batch = buf.take();
  if (batch) await writeFileAtomic(path, encodeParquet(batch));
  else await rm(path);
  return true;
}

/** Keep the complete batches of an existing stream file, minus steps after `cut`; returns its schema. */
async function prepareArrowStream(path: string, cut: number | undefined, appending: boolean): Promise<Schema | undefined> {
  if (!(await exists(path))) return undefined;
  // Always rewritten: a cleanly closed stream ends with end-of-stream, after which nothing may
  // be appended, and a killed writer may have left a partial last message.
  const { table } = await readArrowStreamPrefix(path);
  if (!table) { await rm(path); return undefined; }
  const buf = new TableBuffer({ path, columns: columnsOf(table) });
  for (const row of rowsWhere(table, (s) => cut === undefined || s <= cut)) buf.append(row);
  const batch = buf.take();
  const open = batch ? withoutEos(tableToIPC(new Table([batch]), 'stream')) : schemaMessage(tableToIPC(new Table(table.schema), 'stream'));
  await writeFileAtomic(path, appending ? open : Buffer.concat([open, END_OF_STREAM]));
  return table.schema;
}

/** IPC stream framing: a message starts with 0xFFFFFFFF then its metadata length; end-of-stream is 0xFFFFFFFF 0. */
const EOS_BYTES = 8;

export function withoutEos(stream: Uint8Array): Uint8Array {
  return stream.subarray(0, stream.length - EOS_BYTES);
}

/** The leading schema message of an IPC stream. */
export function schemaMessage(stream: Uint8Array): Uint8Array {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  if (view.getUint32(0, true) !== 0xffffffff) throw new Error('not an Arrow IPC stream (no continuation marker)');
  return stream.subarray(0, 8 + view.getInt32(4, true));
}

/** The messages after the schema and before end-of-stream: what appending a batch to an open stream adds. */
export function batchMessages(stream: Uint8Array): Uint8Array {
  return stream.subarray(schemaMessage(stream).length, stream.length - EOS_BYTES);
}

export const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
