/** Child process for the SIGKILL test: writes step events into a run dir until it is killed. */
import { EventPlane } from '../../src/events/event-plane.js';
import { RunStatsSink } from '../../src/sinks/run-stats-sink.js';
import { fakeStepEvent } from './fake-steps.js';

// The test runner also executes every file under dist/test/: without a directory argument this does nothing.
// Optional second argument: the flush policy's everyRows (default 64, one step of routing/experts).
const dir = process.argv[2];
if (dir) await writeUntilKilled(dir, Number(process.argv[3] ?? 64));

async function writeUntilKilled(dir: string, everyRows: number): Promise<void> {
const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows, everySeconds: 0 }, tokenSampleRate: 0.5, seed: 3, arrowStream: true });
const plane = new EventPlane();
plane.attach(sink);
for (let step = 1; ; step++) {
  await plane.emit(fakeStepEvent('crash', step, 1e9, { layers: 4, experts: 16, topK: 2, batchSize: 4, seqLen: 32 }));
  if (step === 3) process.stdout.write('writing\n');
}
}
