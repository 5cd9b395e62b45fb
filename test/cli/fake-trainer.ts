import { mkdir, writeFile } from 'node:fs/promises';
import type { TrainerDriver } from '../../src/cli/run/train-context.js';
import { fakeStepEvent, type FakeShape } from '../sinks/fake-steps.js';

/**
 * A stand-in for the trainer that follows the TrainContext contract: awaits every emit,
 * flushes before each checkpoint, writes checkpoints/step-N/, stops on abort, and can
 * "crash" after a given step.
 */
export function fakeTrainer(shape: FakeShape, opts: { crashAfter?: number; onStep?: (step: number) => void | Promise<void> } = {}): TrainerDriver {
  return async (ctx) => {
    await ctx.recordBackend('cpu', 'fake trainer for tests');
    const total = ctx.config.trainer.steps;
    let msSinks = 0;
    for (let step = (ctx.resumeFromStep ?? 0) + 1; step <= total; step++) {
      if (ctx.signal.aborted) return;
      const ev = fakeStepEvent(ctx.runId, step, total, shape);
      msSinks = await ctx.emit({ ...ev, timing: { ...ev.timing, msSinks } });
      await opts.onStep?.(step);
      const evalEvery = ctx.config.trainer.evalEvery;
      if (evalEvery > 0 && step % evalEvery === 0) {
        const loss = 8 * Math.exp(-step / 25) + 2.3;
        await ctx.emit({ kind: 'eval', runId: ctx.runId, step, result: { loss, perplexity: Math.exp(loss), accuracy: 0.5 - loss / 30, tokens: 1024 }, time: Date.now() });
      }
      const every = ctx.config.trainer.checkpointEvery;
      if (every > 0 && step % every === 0) {
        await ctx.flush();
        await mkdir(ctx.checkpointDir(step), { recursive: true });
        await writeFile(`${ctx.checkpointDir(step)}/trainer.json`, JSON.stringify({ step }));
        await ctx.emit({ kind: 'checkpoint', runId: ctx.runId, step, dir: ctx.checkpointDir(step), time: Date.now() });
      }
      if (opts.crashAfter !== undefined && step === opts.crashAfter) throw new Error(`simulated trainer crash after step ${step}`);
    }
  };
}
