/**
 * Rows of one evaluation file: JSONL (one JSON object per line) or Parquet (read by DuckDB).
 * A line that is not a JSON object is yielded as an error row, so the caller's bad-input
 * policy decides; blank lines are not records.
 */
import { readFile } from 'node:fs/promises';
import type { JsonRow } from '../task.js';

export type FileRow =
  | { readonly record: number; readonly row: JsonRow }
  | { readonly record: number; readonly error: string };

export async function readRows(path: string): Promise<FileRow[]> {
  return /\.parquet$/i.test(path) ? readParquetRows(path) : readJsonlRows(path);
}

export async function readJsonlRows(path: string): Promise<FileRow[]> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const out: FileRow[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      out.push({ record: i + 1, error: `not valid JSON (${(e as Error).message})` });
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) out.push({ record: i + 1, error: 'not a JSON object' });
    else out.push({ record: i + 1, row: v as JsonRow });
  });
  return out;
}

/** Parquet rows as plain JS objects (structs → objects, lists → arrays); record = 1-based row number. */
export async function readParquetRows(path: string): Promise<FileRow[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    const r = await con.runAndReadAll(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`);
    return (r.getRowObjectsJS() as Record<string, unknown>[]).map((row, i) => ({ record: i + 1, row }));
  } catch (e) {
    throw new Error(`${path}: cannot read as Parquet: ${(e as Error).message}`, { cause: e });
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}
