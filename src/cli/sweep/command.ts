/**
 * `pipeline sweep SWEEP.yaml [--executor local|slurm|k8s|ray] [--dry-run]`, plus
 * `pipeline sweep status DIR`, `pipeline sweep compare DIR` and `pipeline sweep point DIR INDEX`
 * (what each cluster task runs). A yargs command module plus `sweepCommand(argv, io)` for tests;
 * the work is in run-sweep.ts, imported when the verb runs.
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { EXIT_CODES_HELP, UsageError } from '../shared/errors.js';
import { single } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';

export const command = 'sweep [args..]';
export const describe = 'run a grid of pipelines (routers × seeds × ...) locally or on Slurm, Kubernetes or Ray, then compare them';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline sweep SWEEP.yaml [--executor local|slurm|k8s|ray] [--dry-run] [--out DIR]
       pipeline sweep status SWEEP_DIR
       pipeline sweep compare SWEEP_DIR
       pipeline sweep point SWEEP_DIR INDEX      (what each cluster task runs)

A sweep file names a base pipeline and a grid over any of its keys (docs/sweeps.md). The grid
expands into points with stable ids, each validated before anything runs; every point is a
pipeline run in SWEEP_DIR/points/<id>/. Re-running the same command skips finished points and
resumes killed ones from their last checkpoint. When every point has finished, the points are
compared (pipeline compare; the sweep's eval: section is each point's evaluation).

Executors: local (default; executor.parallel points at once on this machine), slurm (one sbatch
array job and a compare job after it), k8s (an Indexed Job manifest; --submit applies it with
kubectl), ray (one job per point through Ray's Jobs REST API).`)
    .positional('args', { type: 'string', array: true, describe: 'SWEEP.yaml, or status|compare SWEEP_DIR, or point SWEEP_DIR INDEX' })
    .option('executor', { type: 'string', requiresArg: true, choices: ['local', 'slurm', 'k8s', 'ray'], default: 'local', describe: 'where the points run' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan (points, ids, overrides) after validating every point; run nothing' })
    .option('out', { type: 'string', requiresArg: true, coerce: single('out'), describe: 'the sweep folder (default: the file\'s out:, else sweeps/<name>)' })
    .option('submit', { type: 'boolean', default: false, describe: 'k8s: apply the Job with kubectl (default: write it only)' })
    .option('ray-address', { type: 'string', requiresArg: true, coerce: single('ray-address'), describe: 'ray: the dashboard address (default executor.ray.address)' })
    .epilog(EXIT_CODES_HELP);
}

export type SweepArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

export async function sweep(args: SweepArgs, io: Io): Promise<number> {
  const [first, ...rest] = (args.args ?? []).map(String);
  if (first === undefined) throw new UsageError('give a SWEEP.yaml (or status|compare SWEEP_DIR, or point SWEEP_DIR INDEX)', 'sweep');
  const m = await import('./run-sweep.js');
  if (first === 'status' || first === 'compare') {
    if (rest.length !== 1) throw new UsageError(`sweep ${first} takes one SWEEP_DIR`, 'sweep');
    return first === 'status' ? m.sweepStatus(rest[0]!, io) : m.compareSweep(rest[0]!, io);
  }
  if (first === 'point') {
    const [dir, index] = rest;
    if (dir === undefined || index === undefined || !/^\d+$/.test(index) || rest.length !== 2) throw new UsageError('sweep point takes SWEEP_DIR and a point INDEX (0-based)', 'sweep');
    const { runPointOf } = await import('./point-command.js');
    return runPointOf(dir, Number(index), io);
  }
  if (rest.length > 0) throw new UsageError(`one sweep file at a time (got ${[first, ...rest].join(', ')})`, 'sweep');
  const { loadSweepFile } = await import('./sweep-file.js');
  const file = await loadSweepFile(first, args.out);
  return m.runSweep(file, { executor: args.executor as 'local', dryRun: args.dryRun, submit: args.submit, ...(args.rayAddress ? { rayAddress: args.rayAddress } : {}) }, io);
}

export const handler = verbHandler<SweepArgs>('sweep', sweep);

/** `pipeline sweep ...` with injectable output (tests). */
export function sweepCommand(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'sweep', argv, io, (args, verbIo) => sweep(args as SweepArgs, verbIo));
}

