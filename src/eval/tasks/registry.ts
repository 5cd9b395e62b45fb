/** Every evaluation task by its `--tasks` name, like the router registry. */
import type { EvalTask } from '../task.js';
import { arcChallenge, arcEasy } from './arc.js';
import { blimp } from './blimp.js';
import { cbt } from './cbt.js';
import { commonsenseQa } from './commonsense-qa.js';
import { hellaswag } from './hellaswag.js';
import { lambada } from './lambada.js';
import { mmlu } from './mmlu.js';
import { openbookqa } from './openbookqa.js';
import { piqa } from './piqa.js';
import { race } from './race.js';
import { siqa } from './siqa.js';
import { winogrande } from './winogrande.js';

const TASKS: readonly EvalTask[] = [lambada, blimp, cbt, hellaswag, piqa, arcEasy, arcChallenge, openbookqa, commonsenseQa, siqa, race, winogrande, mmlu];

const BY_NAME = new Map(TASKS.map((t) => [t.name, t]));

/** Task names in LibMoE's table order. */
export function evalTaskNames(): string[] {
  return TASKS.map((t) => t.name);
}

export function evalTask(name: string): EvalTask {
  const t = BY_NAME.get(name);
  if (!t) throw new Error(`unknown evaluation task "${name}"; known: ${evalTaskNames().join(', ')}`);
  return t;
}
