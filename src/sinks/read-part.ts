import { readFile } from 'node:fs/promises';
import { RecordBatchStreamReader, Table, tableFromIPC, type RecordBatch } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';

/** Read a Parquet part back as an Arrow JS table (used by resume; analysis uses DuckDB). */
export async function readParquetTable(path: string): Promise<Table> {
  const bytes = await readFile(path);
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}

/**
 * Read the complete record batches of an Arrow IPC stream file. A process killed while
 * appending leaves a partial last message: the batches before it are kept, the rest ignored.
 */
export async function readArrowStreamPrefix(path: string): Promise<{ table: Table | undefined; truncated: boolean }> {
  const bytes = await readFile(path);
  if (bytes.length === 0) return { table: undefined, truncated: false };
  const batches: RecordBatch[] = [];
  let truncated = false;
  try {
    const reader = RecordBatchStreamReader.from(bytes);
    for (const b of reader) batches.push(b);
  } catch {
    truncated = true;
  }
  if (batches.length === 0) return { table: undefined, truncated };
  return { table: new Table(batches), truncated };
}
