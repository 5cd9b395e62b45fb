/** Build a synthetic run directory with the real CLI path (config → run dir → sinks) and a fake trainer. */
import { runCommand } from '../../src/cli/run/command.js';
import { fakeTrainer } from './fake-trainer.js';
import type { FakeShape } from '../sinks/fake-steps.js';

export async function makeSyntheticRun(runsDir: string, opts: { steps: number; shape: FakeShape; extraSets?: string[]; crashAfter?: number }): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCommand(
    ['pipelines/quickstart.yaml', '--out', runsDir, '--set', `trainer.steps=${opts.steps}`, '--set', 'trainer.warmupSteps=0', '--set', 'trainer.evalEvery=10',
      '--set', 'trainer.checkpointEvery=20', '--set', 'stats.flushEveryRows=500', '--set', 'stats.tokenSampleRate=0.05', ...(opts.extraSets ?? []).flatMap((s) => ['--set', s])],
    { trainer: fakeTrainer(opts.shape, { crashAfter: opts.crashAfter }), stderr: (s) => { stderr += s; }, stdout: () => {}, tty: false },
  ).catch((e: Error) => { stderr += e.message; return -1; });
  return { code, stderr };
}

if (process.argv[2] === '--make') {
  const dir = process.argv[3] ?? '/tmp/moeflow-synth';
  const r = await makeSyntheticRun(dir, { steps: Number(process.argv[4] ?? 120), shape: { layers: 4, experts: 8, topK: 2, batchSize: 6, seqLen: 32, bias: false } });
  console.log(r.code, r.stderr);
}
