/** The work of `pipeline compare`: read each run's scores, check they are comparable, write the paper table. */
import { evalTaskNames } from '../../eval/tasks/registry.js';
import { compareMarkdown, writeCompare } from './compare-outputs.js';
import { paperTable, type PaperRow } from './paper-table.js';
import { checkComparable, readRunScores } from './run-scores.js';

export interface RunCompareOptions {
  readonly runDirs: readonly string[];
  readonly outDir: string;
}

export async function runCompare(o: RunCompareOptions): Promise<{ rows: PaperRow[]; tasks: string[]; files: string[]; markdown: string }> {
  const runs = [];
  for (const d of o.runDirs) runs.push(await readRunScores(d));
  checkComparable(runs);
  const known = evalTaskNames();
  // LibMoE's column order; tasks outside the registry (none today) go last.
  const tasks = [...runs[0]!.tasks].sort((a, b) => (known.indexOf(a) + 1 || 99) - (known.indexOf(b) + 1 || 99));
  const rows = paperTable(runs, tasks);
  const files = await writeCompare(o.outDir, rows, tasks, runs[0]!.step, runs[0]!.itemLimit);
  return { rows, tasks, files, markdown: compareMarkdown(rows, tasks, runs[0]!.step, runs[0]!.itemLimit) };
}

