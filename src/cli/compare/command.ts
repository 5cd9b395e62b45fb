/** `pipeline compare RUN_DIR... [--out DIR]`: LibMoE's paper table across evaluated runs. */
import { resolve } from 'node:path';
import { evalTaskNames } from '../../eval/tasks/registry.js';
import { parseVerbArgs } from '../shared/args.js';
import { EXIT, UsageError } from '../shared/errors.js';
import { COMPARE_HELP } from '../shared/help.js';
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

export async function compareCommand(argv: string[], deps: { stdout?: (s: string) => void; stderr?: (s: string) => void } = {}): Promise<number> {
  const out = deps.stdout ?? ((s: string) => process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => process.stderr.write(s));
  const { values, positionals } = parseVerbArgs('compare', argv, { out: { type: 'string' } });
  if (values.help) { out(`${COMPARE_HELP}\n`); return EXIT.ok; }
  if (positionals.length < 2) throw new UsageError(`give at least two RUN_DIRs to compare (got ${positionals.length})`, 'compare');
  const r = await runCompare({ runDirs: positionals.map((p) => resolve(p)), outDir: resolve(values.out ?? 'compare') });
  out(r.markdown);
  err(`compare: ${r.rows.length} runs × ${r.tasks.length} tasks → ${r.files.join(', ')}\n`);
  return EXIT.ok;
}
