/** The VLM evaluation tasks by lmms-eval's task name. */
import type { VlmTask, VlmTaskName } from '../task.js';
import { mme } from './mme.js';
import { pope } from './pope.js';
import { scienceQaImg } from './scienceqa-img.js';

const TASKS: readonly VlmTask[] = [pope, scienceQaImg, mme];

export function vlmTaskNames(): VlmTaskName[] {
  return TASKS.map((t) => t.name);
}

export function vlmTask(name: string): VlmTask {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown VLM evaluation task "${name}"; known: ${vlmTaskNames().join(', ')}`);
  return t;
}
