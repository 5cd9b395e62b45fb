import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export type Rows = Record<string, unknown>[];

/**
 * A run directory opened for analysis: one DuckDB view per table that has parts
 * (metrics, eval, experts, layers, domains, tokens), reading the Parquet files as written.
 */
export class RunDb {
  private constructor(private readonly inst: DuckDBInstance, private readonly con: DuckDBConnection, readonly tables: ReadonlySet<string>) {}

  static async open(runDir: string): Promise<RunDb> {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const tables = new Set<string>();
    const sources: [string, string, string][] = [
      ['metrics', runDir, 'metrics'], ['eval', runDir, 'eval'],
      ['experts', join(runDir, 'routing'), 'experts'], ['layers', join(runDir, 'routing'), 'layers'],
      ['domains', join(runDir, 'routing'), 'domains'], ['tokens', join(runDir, 'routing'), 'tokens'],
    ];
    for (const [view, dir, stem] of sources) {
      let names: string[] = [];
      try { names = await readdir(dir); } catch { /* table absent */ }
      if (!names.some((n) => new RegExp(`^${stem}-\\d+\\.parquet$`).test(n))) continue;
      const glob = join(dir, `${stem}-*.parquet`).replace(/'/g, "''");
      // union_by_name: parts from before and after a resume may differ in aux columns.
      await con.run(`CREATE VIEW ${view} AS SELECT * FROM read_parquet('${glob}', union_by_name = true)`);
      tables.add(view);
    }
    return new RunDb(inst, con, tables);
  }

  has(table: string): boolean { return this.tables.has(table); }

  async all(sql: string): Promise<Rows> {
    const r = await this.con.runAndReadAll(sql);
    return r.getRowObjectsJS().map((row) => {
      // BIGINT/HUGEINT come back as bigint; the report only needs numbers.
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) o[k] = typeof v === 'bigint' ? Number(v) : v;
      return o;
    });
  }

  async columns(table: string): Promise<string[]> {
    return (await this.all(`SELECT column_name FROM (DESCRIBE ${table})`)).map((r) => String(r.column_name));
  }

  close(): void {
    this.con.closeSync();
    this.inst.closeSync();
  }
}
