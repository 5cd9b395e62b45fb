/**
 * A sweep file expanded into points: the grid's cartesian product in file order (the last key
 * varies fastest), each point with a stable id made from its grid values and the `--set`
 * overrides that turn the base pipeline into it. Every point's pipeline is validated here, so a
 * misspelt grid key is an error before anything is written or submitted.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../config/config-error.js';
import { parsePipeline } from '../../config/load.js';
import type { GridValue, SweepFile } from './sweep-file.js';

export interface SweepPoint {
  /** Position in the plan: Slurm's SLURM_ARRAY_TASK_ID, Kubernetes' JOB_COMPLETION_INDEX. */
  readonly index: number;
  /** Stable, readable, unique within the sweep: `algorithm-moe_layer.seed-1`. */
  readonly id: string;
  readonly values: Readonly<Record<string, GridValue>>;
  /** `key=value` overrides on the base pipeline, in the order applied: the run's name, sweep set, grid values, matching points' sets, eval. */
  readonly sets: readonly string[];
}

export interface SweepPlan {
  readonly name: string;
  readonly sweepFile: string;
  readonly base: string;
  /** The directory relative paths in the pipeline resolve against (where `pipeline sweep` ran). */
  readonly cwd: string;
  /** The sweep has an eval: section, so its points can be compared. */
  readonly evaluated: boolean;
  readonly points: readonly SweepPoint[];
}

/** `key=value` with the value as YAML flow (JSON is YAML), as `--set` reads it. */
function setOf(key: string, value: unknown): string {
  return `${key}=${JSON.stringify(value)}`;
}

function idOf(values: Readonly<Record<string, GridValue>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k.split('.').pop()}-${String(v)}`)
    .join('.')
    .replace(/[^A-Za-z0-9_.=-]/g, '_');
}

export function expandGrid(sweep: SweepFile): { values: Record<string, GridValue>; sets: string[] }[] {
  let combos: Record<string, GridValue>[] = [{}];
  for (const axis of sweep.grid) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  return combos.map((values) => {
    const sets = Object.entries(sweep.set).map(([k, v]) => setOf(k, v));
    for (const [k, v] of Object.entries(values)) sets.push(setOf(k, v));
    for (const p of sweep.points) {
      if (Object.entries(p.when).every(([k, v]) => values[k] === v)) for (const [k, v] of Object.entries(p.set)) sets.push(setOf(k, v));
    }
    if (sweep.eval) sets.push(setOf('eval', sweep.eval));
    return { values, sets };
  });
}

/** Expand and validate every point against the base pipeline (ConfigError naming the point and key). */
export async function planSweep(sweep: SweepFile, cwd = process.cwd()): Promise<SweepPlan> {
  let baseText: string;
  try {
    baseText = await readFile(sweep.base, 'utf8');
  } catch (e) {
    throw new ConfigError(sweep.path, [`base: cannot read ${sweep.base}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`], 'sweep file');
  }
  // Router names, option names and values, task names: what `pipeline run` checks at load.
  const { routerCatalog } = await import('../../models/moe/registry.js');
  const { evalTaskNames } = await import('../../eval/tasks/registry.js');
  const catalog = { ...routerCatalog(), evalTasks: evalTaskNames() };
  // A misspelt grid key fails every point the same way: one message per distinct problem, with
  // the number of points it fails (the `--set` it came from differs only in its value).
  const problems = new Map<string, number>();
  const seen = new Map<string, number>();
  const points = expandGrid(sweep).map(({ values, sets: gridSets }, index): SweepPoint => {
    let id = idOf(values);
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    if (n > 0) id = `${id}.${n}`;
    // The run is named after its point, so run ids (and compare's rows) say which point they are.
    const sets = [setOf('name', `${sweep.name}.${id}`), ...gridSets];
    try {
      parsePipeline(baseText, sweep.base, sets, catalog);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) {
        const general = p.replace(/ \(from --set .*\)$/, '');
        problems.set(general, (problems.get(general) ?? 0) + 1);
      }
    }
    return { index, id, values, sets };
  });
  if (problems.size > 0) throw new ConfigError(sweep.path, [...problems].map(([p, n]) => `${p} (in ${n} of ${points.length} points)`), 'sweep file');
  return { name: sweep.name, sweepFile: sweep.path, base: sweep.base, cwd, evaluated: sweep.eval !== undefined, points };
}
