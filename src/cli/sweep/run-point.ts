/**
 * Run one point of a sweep: what every executor's task does (`pipeline sweep point DIR INDEX`;
 * the local executor calls it directly). A finished point is skipped; a point with a checkpoint
 * resumes from it (`pipeline run --resume`, which also finishes an interrupted evaluation); any
 * other point starts `pipeline run BASE --set ...` afresh. The run is a child process whose
 * output goes to the point's log.txt, and its outcome to status.json.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointSteps } from '../shared/run-dir.js';
import type { SweepPlan, SweepPoint } from './plan.js';
import { pointDir, pointRunDir, readPointStatus, writePointStatus, type PointStatus } from './sweep-dir.js';

/** bin/pipeline.js of this installation (dist/src/cli/sweep/ → the package root). */
export const PIPELINE_BIN = fileURLToPath(new URL('../../../../bin/pipeline.js', import.meta.url));

export interface PointOutcome {
  readonly point: SweepPoint;
  readonly status: PointStatus;
  /** true when it was finished before this call and nothing ran. */
  readonly skipped: boolean;
  readonly seconds: number;
}

export async function runPoint(sweepDir: string, plan: SweepPlan, point: SweepPoint, env: NodeJS.ProcessEnv = process.env): Promise<PointOutcome> {
  const before = await readPointStatus(sweepDir, point);
  if (before.state === 'done') return { point, status: before, skipped: true, seconds: 0 };
  const dir = pointDir(sweepDir, point);
  let runDir = await pointRunDir(sweepDir, point);
  if (runDir && (await checkpointSteps(runDir)).length === 0) {
    // Killed before its first checkpoint: nothing to resume from.
    await rm(runDir, { recursive: true, force: true });
    runDir = undefined;
  }
  const args = runDir
    ? ['run', '--resume', runDir]
    : ['run', plan.base, ...point.sets.flatMap((s) => ['--set', s]), '--out', join(dir, 'runs')];
  const startedAt = new Date().toISOString();
  const attempts = before.attempts + 1;
  await writePointStatus(sweepDir, point, { state: 'running', attempts, startedAt });
  const t0 = performance.now();
  const log = createWriteStream(join(dir, 'log.txt'), { flags: 'a' });
  log.write(`# ${startedAt} attempt ${attempts}: pipeline ${args.join(' ')}\n`);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit, reject) => {
    const child = spawn(process.execPath, [PIPELINE_BIN, ...args], { cwd: plan.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', reject);
    child.once('close', (c, s) => resolveExit({ code: c, signal: s }));
  });
  await new Promise<void>((r) => log.end(r));
  const status: PointStatus = { state: code === 0 ? 'done' : 'failed', attempts, startedAt, finishedAt: new Date().toISOString(), exitCode: code, signal };
  await writePointStatus(sweepDir, point, status);
  return { point, status, skipped: false, seconds: (performance.now() - t0) / 1000 };
}
