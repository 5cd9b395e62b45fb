/**
 * The bad-input bookkeeping every evaluation loader shares (LM tasks, VLM tasks): where a task's
 * files are, and what a bad row does under the policy — 'fail' throws naming file, record and
 * reason; 'skip' counts it and keeps the first few for the log. With `counts.used` and
 * `counts.excluded` kept by the loader, read = used + skipped + excluded.
 */
import type { EvalTask } from '../task.js';
import { findTaskFiles } from './find-task-files.js';

export type BadRowPolicy = 'fail' | 'skip';

export interface RowCounts {
  read: number;
  used: number;
  skipped: number;
  excluded: number;
}

/** A bad row under policy 'fail': names file, record and reason. */
export class BadRowError extends Error {
  constructor(readonly file: string, readonly record: number, reason: string) {
    super(`${file}:${record}: ${reason}`);
    this.name = 'BadRowError';
  }
}

export interface BadRows {
  readonly counts: RowCounts;
  /** The first few skipped rows as "file:line: reason", for the log. */
  readonly skippedExamples: string[];
  /** A bad row: thrown under 'fail', counted under 'skip'. */
  bad(file: string, record: number, reason: string): void;
}

export function badRows(policy: BadRowPolicy): BadRows {
  const counts: RowCounts = { read: 0, used: 0, skipped: 0, excluded: 0 };
  const skippedExamples: string[] = [];
  return {
    counts,
    skippedExamples,
    bad(file, record, reason) {
      if (policy === 'fail') throw new BadRowError(file, record, reason);
      counts.skipped++;
      if (skippedExamples.length < 5) skippedExamples.push(`${file}:${record}: ${reason}`);
    },
  };
}

/** The task's data files: the ones given, else found by name in `dataDir`. */
export async function taskFilePaths(task: Pick<EvalTask, 'name' | 'files'>, o: { readonly files?: readonly string[]; readonly dataDir?: string }): Promise<readonly string[]> {
  if (o.files && o.files.length > 0) return o.files;
  if (o.dataDir !== undefined) return findTaskFiles(task, o.dataDir);
  throw new Error(`task ${task.name}: give a data folder or the task's files`);
}

/** The log lines of a loaded task: items used, from which files, and what was skipped or excluded. */
export function loadedTaskLog(name: string, counts: RowCounts, files: string, skippedExamples: readonly string[]): string {
  const c = counts;
  return `${name}: ${c.used} items from ${files}${c.skipped ? `; ${c.skipped} bad rows skipped` : ''}${c.excluded ? `; ${c.excluded} excluded by the protocol` : ''}\n`
    + skippedExamples.map((ex) => `  skipped ${ex}\n`).join('');
}
