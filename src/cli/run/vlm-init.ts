/** Where a VLM stage starts (`model.vlm.init.from`), resolved without loading the models (so --dry-run can check it). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * A checkpoint folder (has vlm.json), or a run directory (its last complete checkpoint), or
 * OUT/NAME where no such folder exists: the newest run OUT/NAME-<date>-<time> of pipeline NAME.
 */
export function initCheckpoint(from: string): string {
  let dir = resolve(from);
  if (!existsSync(dir)) {
    const prefix = `${basename(dir)}-`;
    const runs = readdirSyncSafe(dirname(dir)).filter((n) => n.startsWith(prefix) && /^\d{8}-\d{6}(-\d+)?$/.test(n.slice(prefix.length))).sort();
    if (runs.length) dir = join(dirname(dir), runs[runs.length - 1]!);
  }
  if (existsSync(join(dir, 'vlm.json'))) return dir;
  const cps = join(dir, 'checkpoints');
  if (existsSync(cps) && statSync(cps).isDirectory()) {
    const steps = readdirSyncSafe(cps).map((n) => /^step-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
    if (steps.length) return join(cps, `step-${Math.max(...steps)}`);
  }
  throw new Error(`model.vlm.init.from: ${from} is neither a VLM checkpoint folder (with vlm.json) nor a run directory with checkpoints/step-N`);
}

function readdirSyncSafe(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

