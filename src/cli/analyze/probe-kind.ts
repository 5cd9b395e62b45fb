/** What `pipeline analyze --probe` names: evaluation tasks or SlimPajama files (light: read at argument parsing). */
import { evalTaskNames } from '../../eval/tasks/registry.js';
import { UsageError } from '../shared/errors.js';

/**
 * Splits `--probe` values into task names and probe files. Every value a task name: tasks;
 * none: files; a mix is refused (one probe set is either documents or items).
 */
export function probeKind(given: readonly string[]): { tasks: string[] } | { files: string[] } {
  const names = new Set(evalTaskNames());
  // `--probe piqa,arc_easy` as pipeline eval's --tasks; a path keeps its commas.
  const values = given.flatMap((v) => (v.split(',').every((p) => names.has(p)) ? v.split(',') : [v]));
  const tasks = values.filter((v) => names.has(v));
  if (tasks.length === 0) return { files: [...values] };
  if (tasks.length === values.length) return { tasks };
  const files = values.filter((v) => !names.has(v));
  throw new UsageError(`--probe mixes task names (${tasks.join(', ')}) and files (${files.join(', ')}); give either evaluation tasks or SlimPajama files`, 'analyze');
}
