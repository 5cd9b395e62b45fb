/** Where a task's data is in a data folder: the first of the task's candidate names that exists. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalTask } from '../task.js';

const DATA_FILE = /\.(jsonl|parquet)$/i;

/** A task whose data was not found: names the task and every path looked at. */
export class MissingTaskDataError extends Error {
  constructor(readonly task: string, readonly lookedAt: readonly string[]) {
    super(`task ${task}: no data file found; looked at: ${lookedAt.join(', ')}`);
    this.name = 'MissingTaskDataError';
  }
}

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The task's data files under `dataDir`, sorted: one file, or every .jsonl/.parquet file of the
 * first candidate folder that has any (BLiMP's one file per phenomenon).
 */
export async function findTaskFiles(task: Pick<EvalTask, 'name' | 'files'>, dataDir: string): Promise<string[]> {
  const looked: string[] = [];
  for (const rel of task.files) {
    const path = join(dataDir, rel);
    looked.push(path);
    const k = await kind(path);
    if (rel.endsWith('/') && k === 'dir') {
      const files = (await readdir(path)).filter((n) => DATA_FILE.test(n)).sort().map((n) => join(path, n));
      if (files.length > 0) return files;
    } else if (!rel.endsWith('/') && k === 'file') {
      return [path];
    }
  }
  throw new MissingTaskDataError(task.name, looked);
}
