/**
 * Steps 4 and 5 of `pipeline run`: train in the run directory with Ctrl-C wired to a graceful
 * stop, then print the summary. A fresh run that fails before its first step is removed: an
 * empty run directory would only look like a run.
 */
import { rm } from 'node:fs/promises';
import { EXIT } from '../shared/errors.js';
import type { Io } from '../shared/verb.js';
import { runPipeline } from './run-pipeline.js';
import type { StartedRun } from './start-run.js';
import { summaryText } from './summary.js';
import type { TrainerDriver } from './train-context.js';

export interface TrainOptions {
  readonly trainer: TrainerDriver;
  readonly tty: boolean;
  readonly progressEveryMs: number;
}

export async function trainWithSignals(run: StartedRun, io: Io, opts: TrainOptions): Promise<number> {
  const { plan, runId, runDir, record } = run;
  io.err(`run ${runId} → ${runDir}${plan.kind === 'resume' ? ` (resuming after step ${plan.fromStep})` : ''}\n`);
  const abort = new AbortController();
  const onSigint = (): void => {
    io.err('\ninterrupt: finishing the current step and flushing statistics (Ctrl-C again to kill)\n');
    abort.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  let stepped = false;
  const watched: TrainerDriver = (ctx) => opts.trainer({ ...ctx, emit: (ev) => { if (ev.kind === 'step') stepped = true; return ctx.emit(ev); } });
  try {
    const summary = await runPipeline(plan.config, {
      runId, runDir, record, trainer: watched, signal: abort.signal, log: io.err,
      ...(plan.kind === 'resume' ? { resumeFromStep: plan.fromStep } : {}),
      progress: { tty: opts.tty, write: io.err, everyMs: opts.progressEveryMs },
    });
    io.err(summaryText(summary));
    return abort.signal.aborted ? EXIT.interrupted : EXIT.ok;
  } catch (e) {
    if (run.created && !stepped) {
      await rm(runDir, { recursive: true, force: true });
      io.err(`(no step ran: removed ${runDir})\n`);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
