/**
 * The evaluation tables of a run directory, written one task at a time: the task's items as one
 * Parquet part, then its results as one part (each atomic). Results present = task done at that
 * step, so a re-run skips it; items of a task whose results never landed (a killed eval) are
 * removed on open, so the items table never holds a task twice.
 */
import { rm } from 'node:fs/promises';
import type { Table } from 'apache-arrow';
import { writeFileAtomic } from '../atomic-file.js';
import { encodeParquet } from '../parquet-encode.js';
import { prepareTable } from '../part-files.js';
import { readParquetTable } from '../read-part.js';
import { RollingTableSink } from '../rolling-table-sink.js';
import { TableBuffer } from '../table-buffer.js';
import { columnsOf } from '../table-from-arrow.js';
import type { Row, TableSpec } from '../table-spec.js';
import { EVAL_ITEMS } from './eval-items.js';
import { EVAL_RESULTS, type EvalRunKey } from './eval-results.js';

const keyOf = (step: number, task: string, limit: number): string => `${step}\t${task}\t${limit}`;

function tableRows(table: Table): { row: Row; key: string }[] {
  const cols = columnsOf(table);
  const vectors = cols.map((c) => table.getChild(c.name)!);
  const out: { row: Row; key: string }[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, Row[string]> = {};
    cols.forEach((c, j) => {
      const v = vectors[j]!.get(i);
      row[c.name] = c.type.startsWith('list') ? Array.from(v.toArray() as ArrayLike<number>) : c.type === 'dict' ? String(v) : Number(v);
    });
    out.push({ row, key: keyOf(Number(row['step']), String(row['task']), Number(row['item_limit'])) });
  }
  return out;
}

export class EvalTables {
  private constructor(private readonly runDir: string, private readonly doneKeys: Set<string>, private nextItemsPart: number, private nextResultsPart: number) {}

  /** Read what is done; drop item rows of unfinished tasks; continue the part numbering. */
  static async open(runDir: string): Promise<EvalTables & { readonly droppedItems: number }> {
    const results = await prepareTable(runDir, EVAL_RESULTS.path);
    const done = new Set<string>();
    for (const p of results.parts) for (const r of tableRows(await readParquetTable(p))) done.add(r.key);
    const items = await prepareTable(runDir, EVAL_ITEMS.path);
    let dropped = 0;
    for (const p of items.parts) {
      const table = await readParquetTable(p);
      const rows = tableRows(table);
      const keep = rows.filter((r) => done.has(r.key));
      if (keep.length === rows.length) continue;
      dropped += rows.length - keep.length;
      const buf = new TableBuffer({ path: EVAL_ITEMS.path, columns: columnsOf(table) });
      for (const r of keep) buf.append(r.row);
      const batch = buf.take();
      if (batch) await writeFileAtomic(p, encodeParquet(batch));
      else await rm(p);
    }
    return Object.assign(new EvalTables(runDir, done, items.nextPart, results.nextPart), { droppedItems: dropped });
  }

  isDone(key: EvalRunKey): boolean {
    return this.doneKeys.has(keyOf(key.step, key.task, key.itemLimit));
  }

  /** Items first, results last: the results part is the commit. */
  async write(key: EvalRunKey, itemRows: readonly Row[], resultRows: readonly Row[]): Promise<void> {
    await this.writePart(EVAL_ITEMS, this.nextItemsPart++, itemRows);
    await this.writePart(EVAL_RESULTS, this.nextResultsPart++, resultRows);
    this.doneKeys.add(keyOf(key.step, key.task, key.itemLimit));
  }

  private async writePart(spec: TableSpec, part: number, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const sink = new RollingTableSink({
      runDir: this.runDir, spec, flush: { everyRows: Number.MAX_SAFE_INTEGER, everySeconds: 0 },
      prepared: { nextPart: part, parts: [], removedTemps: [], rewritten: [] },
    });
    for (const r of rows) sink.append(r);
    await sink.close();
  }
}
