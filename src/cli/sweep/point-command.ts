/** `pipeline sweep point SWEEP_DIR INDEX`: run point INDEX of the plan in sweep.json (a cluster task's command). */
import { resolve } from 'node:path';
import { EXIT, InputError } from '../shared/errors.js';
import type { Io } from '../shared/verb.js';
import { runPoint } from './run-point.js';
import { pointDir, readSweepRecord } from './sweep-dir.js';

export async function runPointOf(sweepDirArg: string, index: number, io: Io): Promise<number> {
  const sweepDir = resolve(sweepDirArg);
  const { plan } = await readSweepRecord(sweepDir);
  const point = plan.points[index];
  if (!point) throw new InputError(sweepDir, [`no point ${index}: the sweep has points 0..${plan.points.length - 1}`]);
  const out = await runPoint(sweepDir, plan, point);
  if (out.skipped) io.err(`sweep point ${index} (${point.id}): already done\n`);
  else io.err(`sweep point ${index} (${point.id}): ${out.status.state} in ${out.seconds.toFixed(0)} s; log ${pointDir(sweepDir, point)}/log.txt\n`);
  return out.status.state === 'done' ? EXIT.ok : EXIT.failed;
}
