/**
 * Step 6 of `pipeline run`, when the pipeline has an `eval:` section: score the run's final
 * checkpoint (every checkpoint with `eval.every: true`) on the configured tasks, exactly as
 * `pipeline eval` would (same work, same eval/ tables). What eval/results already holds is
 * skipped, so `--resume` of a run killed during its evaluation finishes only what is missing.
 */
import { resolve } from 'node:path';
import { EXIT } from '../shared/errors.js';
import type { Io } from '../shared/verb.js';
import type { StartedRun } from './start-run.js';

export async function evaluateRun(run: StartedRun, io: Io): Promise<number> {
  const ev = run.plan.config.eval;
  if (!ev) return EXIT.ok;
  const { runEval } = await import('../eval/run-eval.js');
  io.err(`eval: ${ev.every ? 'every checkpoint' : 'the final checkpoint'} on ${ev.tasks.join(', ')}\n`);
  const summary = await runEval({
    runDir: run.runDir,
    tasks: ev.tasks,
    checkpoints: ev.every ? 'all' : 'last',
    dataDir: resolve(ev.data),
    limit: ev.limit,
    batchSize: ev.batchSize,
    onBadRow: ev.onBadRow,
    ...(ev.routing ? { routing: { tokenSampleRate: ev.routesSample } } : {}),
    log: io.err,
  });
  const done = summary.outcomes.filter((x) => x.status === 'done').length;
  io.err(`eval ${summary.runId} (${summary.backend}): ${done} task×checkpoint evaluated, ${summary.outcomes.length - done} already in eval/results → ${resolve(run.runDir, 'eval')}\n`);
  return EXIT.ok;
}
