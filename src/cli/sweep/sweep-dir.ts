/**
 * The sweep folder, on storage every task can reach:
 *
 *   sweep.json                    the plan and the fingerprint of the sweep file that wrote it
 *   points/<id>/status.json       pending | running | done | failed, with times, host, exit code
 *   points/<id>/log.txt           the point's `pipeline run` output (stdout and stderr)
 *   points/<id>/runs/<run-id>/    the point's run directory
 *   slurm/, k8s/, ray/            what those executors wrote and submitted
 *   compare/                      `pipeline compare` over the finished points
 *
 * A folder written by a different sweep file is refused: its points would be mixed with others.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import { InputError } from '../shared/errors.js';
import type { SweepPlan, SweepPoint } from './plan.js';
import type { SweepFile } from './sweep-file.js';

export type PointState = 'pending' | 'running' | 'done' | 'failed';

export interface PointStatus {
  readonly state: PointState;
  readonly attempts: number;
  readonly host?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
}

interface SweepRecord {
  readonly fingerprint: string;
  readonly sweepFile: string;
  readonly plan: SweepPlan;
}

export function fingerprintOf(sweep: SweepFile): string {
  return createHash('sha256').update(sweep.text).digest('hex').slice(0, 16);
}

export const pointDir = (sweepDir: string, p: SweepPoint): string => join(sweepDir, 'points', p.id);

/** Create (or reopen) the sweep folder for this sweep file and plan. */
export async function openSweepDir(sweep: SweepFile, plan: SweepPlan): Promise<void> {
  const fingerprint = fingerprintOf(sweep);
  const existing = await readSweepRecord(sweep.out).catch(() => undefined);
  if (existing && existing.fingerprint !== fingerprint) {
    throw new InputError(sweep.out, [`this folder holds the sweep written by ${existing.sweepFile} (fingerprint ${existing.fingerprint}), not by ${sweep.path} as it is now (${fingerprint}): ` +
      'choose another folder (out: or --out), or restore the sweep file that wrote it']);
  }
  await mkdir(join(sweep.out, 'points'), { recursive: true });
  if (!existing) {
    const record: SweepRecord = { fingerprint, sweepFile: sweep.path, plan };
    await writeFileAtomic(join(sweep.out, 'sweep.json'), Buffer.from(JSON.stringify(record, null, 2) + '\n'));
  }
  for (const p of plan.points) await mkdir(pointDir(sweep.out, p), { recursive: true });
}

export async function readSweepRecord(sweepDir: string): Promise<SweepRecord> {
  let text: string;
  try {
    text = await readFile(join(sweepDir, 'sweep.json'), 'utf8');
  } catch {
    throw new InputError(sweepDir, ['not a sweep folder (no sweep.json)']);
  }
  return JSON.parse(text) as SweepRecord;
}

export async function readPointStatus(sweepDir: string, p: SweepPoint): Promise<PointStatus> {
  try {
    return JSON.parse(await readFile(join(pointDir(sweepDir, p), 'status.json'), 'utf8')) as PointStatus;
  } catch {
    return { state: 'pending', attempts: 0 };
  }
}

export async function writePointStatus(sweepDir: string, p: SweepPoint, s: PointStatus): Promise<void> {
  await writeFileAtomic(join(pointDir(sweepDir, p), 'status.json'), Buffer.from(JSON.stringify({ ...s, host: s.host ?? hostname() }, null, 2) + '\n'));
}

/** The point's run directory, if its run has started (one directory under runs/). */
export async function pointRunDir(sweepDir: string, p: SweepPoint): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(join(pointDir(sweepDir, p), 'runs'));
  } catch {
    return undefined;
  }
  if (names.length > 1) throw new InputError(join(pointDir(sweepDir, p), 'runs'), [`${names.length} runs (${names.join(', ')}); a point has one`]);
  return names.length === 1 ? join(pointDir(sweepDir, p), 'runs', names[0]!) : undefined;
}
