/**
 * Step 2b of `pipeline run` (and of --dry-run): with an `eval:` section, every task's data file
 * is found before training starts, so a run that would train for an hour and then fail its
 * evaluation on a missing file fails now instead (exit 2), naming the task and every path
 * looked at. Rows are read only at evaluation time.
 */
import { resolve } from 'node:path';
import { findTaskFiles } from '../../eval/data/find-task-files.js';
import { evalTask } from '../../eval/tasks/registry.js';
import { InputError } from '../shared/errors.js';
import type { RunPlan } from './resolve-run.js';

export async function checkEvalInputs(plan: RunPlan): Promise<void> {
  const ev = plan.config.eval;
  if (!ev) return;
  const problems: string[] = [];
  for (const [i, name] of ev.tasks.entries()) {
    try {
      await findTaskFiles(evalTask(name), resolve(ev.data));
    } catch (e) {
      problems.push(`eval.tasks[${i}]: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new InputError(plan.source, problems);
}
