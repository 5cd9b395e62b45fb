/**
 * A VLM task's items from its JSONL or Parquet files, under the same bad-input policy as the LM
 * tasks (src/eval/data/load-task-items.ts): 'fail' stops at the first bad row naming file, line
 * and reason; 'skip' counts it; rows the protocol leaves out (ScienceQA without an image) are
 * excluded. read = used + skipped + excluded. An image named by path must be a non-empty file
 * (checked here, before any model is loaded). MME's two questions per image must both be there:
 * a question_id with another count is bad input (each of its rows), and the pair's items get the
 * ids `<question_id>#1` and `#2` in file order.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badRows, taskFilePaths, type BadRowPolicy, type RowCounts } from '../data/bad-rows.js';
import { readRows } from '../data/read-rows.js';
import { ExcludedRow, RowError } from '../task.js';
import type { VlmItem } from './items.js';
import type { VlmTask } from './task.js';

export interface LoadVlmOptions {
  /** Folder holding the task's file by name (pope.jsonl, scienceqa_img.parquet, mme.jsonl, ...). */
  readonly dataDir?: string;
  /** Explicit files for this task (instead of looking in dataDir). */
  readonly files?: readonly string[];
  /** What relative image paths are resolved against; default: the folder of the row's data file. */
  readonly imageDir?: string;
  readonly onBadRow?: BadRowPolicy;
  /** At most this many items from each data file (MME: keep it even on a file whose pairs are adjacent). */
  readonly limit?: number;
}

export interface LoadedVlmTask {
  readonly task: VlmTask;
  readonly items: VlmItem[];
  readonly files: readonly string[];
  readonly counts: RowCounts;
  /** The first few skipped rows as "file:line: reason", for the log. */
  readonly skippedExamples: readonly string[];
}

async function isImageFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && s.size > 0;
  } catch {
    return false;
  }
}

export async function loadVlmItems(task: VlmTask, opts: LoadVlmOptions): Promise<LoadedVlmTask> {
  const paths = await taskFilePaths(task, opts);
  const { counts, skippedExamples, bad } = badRows(opts.onBadRow ?? 'fail');
  let items: VlmItem[] = [];
  for (const path of paths) {
    const rows = await readRows(path);
    const imageDir = opts.imageDir ?? dirname(path);
    let usedHere = 0;
    for (const r of rows) {
      if (opts.limit !== undefined && usedHere >= opts.limit) break;
      counts.read++;
      if ('error' in r) { bad(path, r.record, r.error); continue; }
      let item: VlmItem;
      try {
        item = task.toItem(r.row, { file: path, record: r.record }, imageDir);
      } catch (e) {
        if (e instanceof ExcludedRow) counts.excluded++;
        else if (e instanceof RowError) bad(path, r.record, e.message);
        else throw e;
        continue;
      }
      if (item.image.kind === 'file' && !(await isImageFile(item.image.path))) {
        bad(path, r.record, `image ${item.image.path} is not a non-empty file`);
        continue;
      }
      items.push(item);
      counts.used++;
      usedHere++;
    }
  }
  if (items.some((it) => it.kind === 'yes-no' && it.pair !== undefined)) items = numberPairs(items, bad, counts);
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) throw new Error(`task ${task.name}: item id "${it.id}" occurs twice (${it.source.file}:${it.source.record}); ids key the results`);
    ids.add(it.id);
  }
  return { task, items, files: paths, counts, skippedExamples };
}

/** MME: every question_id must have exactly two questions; they become `<id>#1`, `<id>#2`. */
function numberPairs(items: readonly VlmItem[], bad: (file: string, record: number, reason: string) => void, counts: RowCounts): VlmItem[] {
  const byPair = new Map<string, VlmItem[]>();
  for (const it of items) {
    const key = it.kind === 'yes-no' && it.pair !== undefined ? it.pair : it.id;
    const list = byPair.get(key);
    if (list) list.push(it);
    else byPair.set(key, [it]);
  }
  const out: VlmItem[] = [];
  for (const it of items) {
    const key = it.kind === 'yes-no' && it.pair !== undefined ? it.pair : it.id;
    const list = byPair.get(key)!;
    if (list.length !== 2) {
      const where = list.map((x) => `${x.source.file}:${x.source.record}`).join(', ');
      bad(it.source.file, it.source.record, `question_id "${key}" has ${list.length} question(s) (${where}); MME scores the two questions of each image together`);
      counts.used--;
      continue;
    }
    out.push({ ...it, id: `${key}#${list.indexOf(it) + 1}` });
  }
  return out;
}
