import { DuckDBInstance } from '@duckdb/node-api';

/** Run one query on a fresh in-memory DuckDB; rows as plain JS objects, column types as DuckDB names. */
export async function query(sql: string): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    const r = await con.runAndReadAll(sql);
    const names = r.columnNames();
    const types = Object.fromEntries(names.map((n, i) => [n, String(r.columnTypes()[i])]));
    return { rows: r.getRowObjectsJS() as Record<string, unknown>[], types };
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}
