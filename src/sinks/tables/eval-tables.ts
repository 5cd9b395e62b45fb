/**
 * The evaluation tables of a run directory, written one task at a time: the task's items (and
 * routing logs) as one Parquet part each, then its results as one part (each atomic). Results present = task done at that
 * step, so a re-run skips it; items of a task whose results never landed (a killed eval) are
 * removed on open (items, routing, routes), so no table ever holds a task twice.
 */
import { rm } from 'node:fs/promises';
import type { Table } from 'apache-arrow';
import { writeFileAtomic } from '../atomic-file.js';
import { encodeParquet } from '../parquet-encode.js';
import { partPath, prepareTable } from '../part-files.js';
import { readParquetTable } from '../read-part.js';
import { TableBuffer } from '../table-buffer.js';
import { columnsOf } from '../table-from-arrow.js';
import type { Row, TableSpec } from '../table-spec.js';
import { EVAL_ITEMS } from './eval-items.js';
import { EVAL_RESULTS, type EvalRunKey } from './eval-results.js';
import { EVAL_ROUTES, EVAL_ROUTING } from './eval-routing.js';
import { EVAL_VLM_ITEMS, EVAL_VLM_ROUTING } from './eval-vlm.js';

/** Tables written before the results part, in this order. */
const PAYLOAD: readonly TableSpec[] = [EVAL_ITEMS, EVAL_ROUTING, EVAL_ROUTES, EVAL_VLM_ITEMS, EVAL_VLM_ROUTING];

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
  private constructor(private readonly runDir: string, private readonly doneKeys: Set<string>, private readonly nextPart: Map<string, number>) {}

  /** Read what is done; drop item rows of unfinished tasks; continue the part numbering. */
  static async open(runDir: string): Promise<EvalTables & { readonly droppedItems: number }> {
    const results = await prepareTable(runDir, EVAL_RESULTS.path);
    const done = new Set<string>();
    for (const p of results.parts) for (const r of tableRows(await readParquetTable(p))) done.add(r.key);
    const nextPart = new Map<string, number>([[EVAL_RESULTS.path, results.nextPart]]);
    let dropped = 0;
    for (const spec of PAYLOAD) {
      const prepared = await prepareTable(runDir, spec.path);
      nextPart.set(spec.path, prepared.nextPart);
      for (const p of prepared.parts) {
        const table = await readParquetTable(p);
        const rows = tableRows(table);
        const keep = rows.filter((r) => done.has(r.key));
        if (keep.length === rows.length) continue;
        if (spec === EVAL_ITEMS || spec === EVAL_VLM_ITEMS) dropped += rows.length - keep.length;
        const buf = new TableBuffer({ path: spec.path, columns: columnsOf(table) });
        for (const r of keep) buf.append(r.row);
        const batch = buf.take();
        if (batch) await writeFileAtomic(p, encodeParquet(batch));
        else await rm(p);
      }
    }
    return Object.assign(new EvalTables(runDir, done, nextPart), { droppedItems: dropped });
  }

  isDone(key: EvalRunKey): boolean {
    return this.doneKeys.has(keyOf(key.step, key.task, key.itemLimit));
  }

  /** Items (and routing logs) first, results last: the results part is the commit. */
  async write(key: EvalRunKey, rows: { items?: readonly Row[]; results: readonly Row[]; routing?: readonly Row[]; routes?: readonly Row[]; vlmItems?: readonly Row[]; vlmRouting?: readonly Row[] }): Promise<void> {
    if (rows.items) await this.writePart(EVAL_ITEMS, rows.items);
    if (rows.vlmItems) await this.writePart(EVAL_VLM_ITEMS, rows.vlmItems);
    if (rows.vlmRouting) await this.writePart(EVAL_VLM_ROUTING, rows.vlmRouting);
    if (rows.routing) await this.writePart(EVAL_ROUTING, rows.routing);
    if (rows.routes) await this.writePart(EVAL_ROUTES, rows.routes);
    await this.writePart(EVAL_RESULTS, rows.results);
    this.doneKeys.add(keyOf(key.step, key.task, key.itemLimit));
  }

  private async writePart(spec: TableSpec, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const part = this.nextPart.get(spec.path)!;
    this.nextPart.set(spec.path, part + 1);
    const buf = new TableBuffer(spec);
    for (const r of rows) buf.append(r);
    await writeFileAtomic(partPath(this.runDir, spec.path, part), encodeParquet(buf.take()!));
  }
}
