/**
 * A task's items from its data files, under the data plane's bad-input policy: 'fail' stops at
 * the first bad row naming file, line and reason; 'skip' counts it. Every row read is either
 * used, skipped (bad input) or excluded (left out by the protocol): read = used + skipped + excluded.
 */
import type { EvalItem } from '../items.js';
import { ExcludedRow, RowError, type EvalTask } from '../task.js';
import { badRows, taskFilePaths, type BadRowPolicy, type RowCounts } from './bad-rows.js';
import { readRows } from './read-rows.js';
import { detectRowFormat, type RowFormat } from './row-format.js';

export { BadRowError, type BadRowPolicy, type RowCounts } from './bad-rows.js';

export interface LoadTaskOptions {
  /** Folder laid out as ../shared/data/eval (piqa.jsonl, blimp/, ...). */
  readonly dataDir?: string;
  /** Explicit files for this task (instead of looking in dataDir). */
  readonly files?: readonly string[];
  /** The row format, when the file's fields do not tell it. */
  readonly format?: RowFormat;
  readonly onBadRow?: BadRowPolicy;
  /** At most this many items from each data file (the first ones, in file order). */
  readonly limit?: number;
}

export interface LoadedTask {
  readonly task: EvalTask;
  readonly items: EvalItem[];
  readonly files: readonly { readonly path: string; readonly format: RowFormat }[];
  readonly counts: RowCounts;
  /** The first few skipped rows as "file:line: reason", for the log. */
  readonly skippedExamples: readonly string[];
}

export async function loadTaskItems(task: EvalTask, opts: LoadTaskOptions): Promise<LoadedTask> {
  const paths = await taskFilePaths(task, opts);
  const { counts, skippedExamples, bad } = badRows(opts.onBadRow ?? 'fail');
  const items: EvalItem[] = [];
  const files: { path: string; format: RowFormat }[] = [];
  for (const path of paths) {
    const rows = await readRows(path);
    const first = rows.find((r) => 'row' in r);
    const format = opts.format ?? (first && 'row' in first ? detectRowFormat(first.row) : 'hf');
    if (!task.formats.includes(format)) {
      const fields = first && 'row' in first ? Object.keys(first.row).join(', ') : 'none';
      throw new Error(`${path}: task ${task.name} reads ${task.formats.join(' or ')} rows; this file's rows are ${format} (fields: ${fields})`);
    }
    files.push({ path, format });
    let usedHere = 0;
    for (const r of rows) {
      if (opts.limit !== undefined && usedHere >= opts.limit) break;
      counts.read++;
      if ('error' in r) { bad(path, r.record, r.error); continue; }
      try {
        items.push(task.toItem(r.row, format, { file: path, record: r.record }));
        counts.used++;
        usedHere++;
      } catch (e) {
        if (e instanceof ExcludedRow) counts.excluded++;
        else if (e instanceof RowError) bad(path, r.record, e.message);
        else throw e;
      }
    }
  }
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) throw new Error(`task ${task.name}: item id "${it.id}" occurs twice (${it.source.file}:${it.source.record}); ids key the results and resume`);
    ids.add(it.id);
  }
  return { task, items, files, counts, skippedExamples };
}
