/**
 * `pipeline sweep`: plan, then hand the points still to run to an executor; then compare.
 * - local: a pool of `parallel` points at once on this machine; a failed point is reported with
 *   the last lines of its log and the others go on; `pipeline compare` runs when all are done;
 * - slurm: one array job (`sbatch --array=...%P`) plus a compare job that waits for it;
 * - k8s: an Indexed Job manifest, applied with kubectl when --submit is given;
 * - ray: one job per point through Ray's Jobs REST API (executor.ray.address or --ray-address).
 */
import { execFile } from 'node:child_process';
import { readFile, mkdir, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { InputError } from '../shared/errors.js';
import type { Io } from '../shared/verb.js';
import { k8sIndexedJob, rayJobRequests, slurmArrayScript, slurmCompareScript } from './cluster-jobs.js';
import { planSweep, type SweepPlan, type SweepPoint } from './plan.js';
import { PIPELINE_BIN, runPoint, type PointOutcome } from './run-point.js';
import { fingerprintOf, openSweepDir, pointDir, pointRunDir, readPointStatus, readSweepRecord } from './sweep-dir.js';
import type { SweepFile } from './sweep-file.js';

const run = promisify(execFile);

export type Executor = 'local' | 'slurm' | 'k8s' | 'ray';

export interface SweepOptions {
  readonly executor: Executor;
  readonly dryRun: boolean;
  /** k8s: apply the manifest (kubectl apply -f). */
  readonly submit: boolean;
  readonly rayAddress?: string;
  /** Environment of the point processes (tests pass a colour-free one). */
  readonly env?: NodeJS.ProcessEnv;
}

export async function runSweep(sweep: SweepFile, o: SweepOptions, io: Io): Promise<number> {
  const plan = await planSweep(sweep);
  if (o.dryRun) {
    io.out(planText(sweep, plan));
    return 0;
  }
  await openSweepDir(sweep, plan);
  const todo: SweepPoint[] = [];
  for (const p of plan.points) if ((await readPointStatus(sweep.out, p)).state !== 'done') todo.push(p);
  io.err(`sweep ${plan.name}: ${plan.points.length} points, ${plan.points.length - todo.length} finished, ${todo.length} to run (${o.executor}) in ${sweep.out}\n`);
  switch (o.executor) {
    case 'local': return runLocal(sweep, plan, todo, o, io);
    case 'slurm': return submitSlurm(sweep, plan, todo, io);
    case 'k8s': return writeK8s(sweep, plan, o, io);
    case 'ray': return submitRay(sweep, plan, todo, o, io);
  }
}

export function planText(sweep: SweepFile, plan: SweepPlan): string {
  const lines = [`sweep ${plan.name}: ${plan.points.length} points from ${plan.base}, folder ${sweep.out}`];
  for (const p of plan.points) lines.push(`  ${String(p.index).padStart(3)}  ${p.id}\n         ${p.sets.map((s) => `--set ${s}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

async function runLocal(sweep: SweepFile, plan: SweepPlan, todo: SweepPoint[], o: SweepOptions, io: Io): Promise<number> {
  let next = 0;
  let finished = plan.points.length - todo.length;
  const failed: PointOutcome[] = [];
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const p = todo[next++]!;
      io.err(`  start ${p.id}\n`);
      const out = await runPoint(sweep.out, plan, p, o.env);
      finished += out.status.state === 'done' ? 1 : 0;
      if (out.status.state === 'done') io.err(`  [${finished}/${plan.points.length}] ${p.id} done in ${out.seconds.toFixed(0)} s\n`);
      else {
        failed.push(out);
        io.err(`  ${p.id} FAILED (exit ${out.status.exitCode ?? out.status.signal}); last lines of ${join(pointDir(sweep.out, p), 'log.txt')}:\n${await tail(join(pointDir(sweep.out, p), 'log.txt'), 12)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(sweep.parallel, Math.max(1, todo.length)) }, worker));
  if (failed.length > 0) {
    io.err(`sweep ${plan.name}: ${failed.length} of ${plan.points.length} points failed (${failed.map((f) => f.point.id).join(', ')}); re-run the same command to retry them (finished points are skipped, killed ones resume)\n`);
    return 1;
  }
  return compareSweep(sweep.out, io);
}

/** `pipeline compare` over every point of a finished sweep, into SWEEP_DIR/compare. */
export async function compareSweep(sweepDir: string, io: Io): Promise<number> {
  const { plan } = await readSweepRecord(sweepDir);
  const runDirs: string[] = [];
  const notDone: string[] = [];
  for (const p of plan.points) {
    const s = await readPointStatus(sweepDir, p);
    const dir = await pointRunDir(sweepDir, p);
    if (s.state !== 'done' || !dir) notDone.push(`${p.id} (${s.state})`);
    else runDirs.push(dir);
  }
  if (notDone.length > 0) throw new InputError(sweepDir, [`not every point has finished: ${notDone.join(', ')}`]);
  if (!plan.evaluated) {
    io.err(`sweep ${plan.name}: every point finished; the sweep has no eval: section, so there is nothing to compare (pipeline report shows each run)\n`);
    return 0;
  }
  if (runDirs.length < 2) {
    io.err(`sweep ${plan.name}: one point, nothing to compare: ${runDirs[0]}\n`);
    return 0;
  }
  const { runCompare } = await import('../compare/run-compare.js');
  const r = await runCompare({ runDirs, outDir: join(sweepDir, 'compare') });
  io.out(r.markdown);
  io.err(`sweep ${plan.name}: compared ${r.rows.length} runs → ${r.files.join(', ')}\n`);
  return 0;
}

/** `pipeline sweep status DIR`: each point's state, step and last loss. */
export async function sweepStatus(sweepDir: string, io: Io): Promise<number> {
  const { plan } = await readSweepRecord(sweepDir);
  const { RunDb } = await import('../report/run-db.js');
  const rows: string[] = ['| # | point | state | attempts | step | last loss | run |', '|---|---|---|---|---|---|---|'];
  const counts: Record<string, number> = {};
  for (const p of plan.points) {
    const s = await readPointStatus(sweepDir, p);
    counts[s.state] = (counts[s.state] ?? 0) + 1;
    const dir = await pointRunDir(sweepDir, p);
    let step = '';
    let loss = '';
    if (dir) {
      const db = await RunDb.open(dir);
      try {
        const [last] = db.has('metrics') ? await db.all('SELECT step, loss FROM metrics ORDER BY step DESC LIMIT 1') : [];
        if (last) { step = String(last['step']); loss = Number(last['loss']).toFixed(4); }
      } finally {
        db.close();
      }
    }
    rows.push(`| ${p.index} | ${p.id} | ${s.state} | ${s.attempts} | ${step} | ${loss} | ${dir ?? ''} |`);
  }
  io.out(`${rows.join('\n')}\n`);
  io.err(`sweep ${plan.name}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
  return 0;
}

async function submitSlurm(sweep: SweepFile, plan: SweepPlan, todo: SweepPoint[], io: Io): Promise<number> {
  const dir = join(sweep.out, 'slurm');
  await mkdir(dir, { recursive: true });
  if (todo.length === 0) return compareSweep(sweep.out, io);
  const array = join(dir, 'points.sbatch');
  const compare = join(dir, 'compare.sbatch');
  await writeScript(array, slurmArrayScript({ plan, sweepDir: sweep.out, bin: PIPELINE_BIN, indices: todo.map((p) => p.index), parallel: sweep.parallel, slurm: sweep.slurm }));
  await writeScript(compare, slurmCompareScript({ plan, sweepDir: sweep.out, bin: PIPELINE_BIN, slurm: sweep.slurm }));
  const jobId = (await sbatch(['--parsable', array])).split(';')[0]!.trim();
  const compareId = (await sbatch(['--parsable', `--dependency=afterany:${jobId}`, compare])).split(';')[0]!.trim();
  io.out(`${jobId}\n`);
  io.err(`sweep ${plan.name}: submitted array job ${jobId} (${todo.length} points, at most ${sweep.parallel} at once) and compare job ${compareId} after it; logs in ${dir}; pipeline sweep status ${sweep.out}\n`);
  return 0;
}

async function sbatch(args: string[]): Promise<string> {
  try {
    return (await run('sbatch', args)).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new InputError('--executor slurm', ['sbatch is not on PATH: run pipeline sweep on a machine that can submit to Slurm (its scripts are written to the sweep folder\'s slurm/)']);
    throw new Error(`sbatch ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

async function writeK8s(sweep: SweepFile, plan: SweepPlan, o: SweepOptions, io: Io): Promise<number> {
  if (!sweep.k8s) throw new InputError(sweep.path, ['executor.k8s: required for --executor k8s (at least image: the container image holding moeflow)']);
  const dir = join(sweep.out, 'k8s');
  await mkdir(dir, { recursive: true });
  const manifest = join(dir, 'job.yaml');
  await writeFile(manifest, toYaml(k8sIndexedJob({ plan, sweepDir: sweep.out, bin: PIPELINE_BIN, parallel: sweep.parallel, k8s: sweep.k8s, fingerprint: fingerprintOf(sweep) }), { lineWidth: 0 }));
  if (!o.submit) {
    io.err(`sweep ${plan.name}: wrote the Indexed Job ${manifest}; apply it with kubectl apply -f ${manifest} (or pass --submit), then pipeline sweep compare ${sweep.out} when it completes\n`);
    return 0;
  }
  try {
    const r = await run('kubectl', ['apply', '-f', manifest]);
    io.err(r.stdout);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new InputError('--submit', ['kubectl is not on PATH; apply ' + manifest + ' from a machine that can reach the cluster']);
    throw new Error(`kubectl apply -f ${manifest} failed: ${(err.stderr ?? err.message).trim()}`);
  }
  return 0;
}

async function submitRay(sweep: SweepFile, plan: SweepPlan, todo: SweepPoint[], o: SweepOptions, io: Io): Promise<number> {
  const address = o.rayAddress ?? sweep.ray.address;
  if (!address) throw new InputError(sweep.path, ['executor.ray.address (or --ray-address): the Ray dashboard address, e.g. http://head:8265']);
  const dir = join(sweep.out, 'ray');
  await mkdir(dir, { recursive: true });
  const stamp = Date.now().toString(36);
  const requests = rayJobRequests({ plan, sweepDir: sweep.out, bin: PIPELINE_BIN, indices: todo.map((p) => p.index), ray: sweep.ray, fingerprint: fingerprintOf(sweep), stamp });
  await writeFile(join(dir, `submissions-${stamp}.json`), JSON.stringify(requests, null, 2) + '\n');
  for (const body of requests) {
    const url = `${address.replace(/\/$/, '')}/api/jobs/`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (e) {
      throw new Error(`Ray Jobs API at ${url} cannot be reached: ${(e as Error).message}`);
    }
    if (!res.ok) throw new Error(`Ray Jobs API refused ${String(body['submission_id'])}: HTTP ${res.status} ${await res.text()}`);
    io.err(`  submitted ${String(body['submission_id'])}\n`);
  }
  io.err(`sweep ${plan.name}: ${requests.length} Ray jobs submitted to ${address}; pipeline sweep status ${sweep.out}, then pipeline sweep compare ${sweep.out}\n`);
  return 0;
}

async function writeScript(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

async function tail(path: string, n: number): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-n).map((l) => `    ${l}\n`).join('');
}
