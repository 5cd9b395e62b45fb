import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export type Rows = Record<string, unknown>[];

/** The views a run offers, where their parts live, and whether each step has one row per MoE layer. */
const SOURCES = [
  { view: 'metrics', dir: '', stem: 'metrics', perLayer: false },
  { view: 'eval', dir: '', stem: 'eval', perLayer: false },
  { view: 'experts', dir: 'routing', stem: 'experts', perLayer: true },
  { view: 'layers', dir: 'routing', stem: 'layers', perLayer: true },
  { view: 'domains', dir: 'routing', stem: 'domains', perLayer: true },
  { view: 'tokens', dir: 'routing', stem: 'tokens', perLayer: true },
  // Zero-shot evaluation (pipeline eval, or a run's eval: section): per checkpoint step.
  { view: 'eval_results', dir: 'eval', stem: 'results', perLayer: false },
  { view: 'eval_items', dir: 'eval', stem: 'items', perLayer: false },
] as const;

/** Tables that hold every step (eval runs now and then; tokens are sampled): they bound the complete steps. */
const EVERY_STEP = new Set(['metrics', 'experts', 'layers', 'domains']);

/**
 * A run directory opened for analysis: one DuckDB view per table that has parts
 * (metrics, eval, experts, layers, domains, tokens, eval_results, eval_items), reading the
 * Parquet files as written.
 *
 * Every view stops at `lastCompleteStep`: the last step present in full (all MoE layers) in
 * every table that holds every step. The sink commits tables together, but a run written
 * by an older sink, or a reader racing a commit, could otherwise show a step in one table
 * and not another (the report showed "Routing per layer" for layer 0 only).
 */
export class RunDb {
  private constructor(
    private readonly inst: DuckDBInstance, private readonly con: DuckDBConnection, readonly tables: ReadonlySet<string>,
    /** Last step every per-step table holds completely (undefined when none is). */
    readonly lastCompleteStep: number | undefined,
    /** Highest step found in any per-step table, complete or not. */
    readonly lastStepSeen: number | undefined,
  ) {}

  static async open(runDir: string): Promise<RunDb> {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const tables = new Set<string>();
    for (const s of SOURCES) {
      let names: string[] = [];
      try { names = await readdir(join(runDir, s.dir)); } catch { /* table absent */ }
      if (!names.some((n) => new RegExp(`^${s.stem}-\\d+\\.parquet$`).test(n))) continue;
      const glob = join(runDir, s.dir, `${s.stem}-*.parquet`).replace(/'/g, "''");
      // union_by_name: parts from before and after a resume may differ in aux columns.
      await con.run(`CREATE VIEW raw_${s.view} AS SELECT * FROM read_parquet('${glob}', union_by_name = true)`);
      tables.add(s.view);
    }
    const lasts: number[] = [];
    const seen: number[] = [];
    for (const s of SOURCES) {
      if (!tables.has(s.view) || !EVERY_STEP.has(s.view)) continue;
      const sql = s.perLayer
        ? `SELECT max(step) FILTER (WHERE n = (SELECT count(DISTINCT layer) FROM raw_${s.view})) AS complete, max(step) AS seen
           FROM (SELECT step, count(DISTINCT layer) AS n FROM raw_${s.view} GROUP BY step)`
        : `SELECT max(step) AS complete, max(step) AS seen FROM raw_${s.view}`;
      const [r] = await readRows(con, sql);
      lasts.push(r?.complete === null || r?.complete === undefined ? 0 : Number(r.complete));
      if (r?.seen !== null && r?.seen !== undefined) seen.push(Number(r.seen));
    }
    const last = lasts.length ? Math.min(...lasts) : undefined;
    for (const v of tables) {
      await con.run(`CREATE VIEW ${v} AS SELECT * FROM raw_${v}${last !== undefined ? ` WHERE step <= ${last}` : ''}`);
    }
    return new RunDb(inst, con, tables, last || undefined, seen.length ? Math.max(...seen) : undefined);
  }

  has(table: string): boolean { return this.tables.has(table); }

  async all(sql: string): Promise<Rows> {
    return readRows(this.con, sql);
  }

  async columns(table: string): Promise<string[]> {
    return (await this.all(`SELECT column_name FROM (DESCRIBE ${table})`)).map((r) => String(r.column_name));
  }

  close(): void {
    this.con.closeSync();
    this.inst.closeSync();
  }
}

async function readRows(con: DuckDBConnection, sql: string): Promise<Rows> {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJS().map((row) => {
    // BIGINT/HUGEINT come back as bigint; the report only needs numbers.
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) o[k] = typeof v === 'bigint' ? Number(v) : v;
    return o;
  });
}
