import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, progressLine } from '../../src/cli/shared/progress.js';
import { fakeStepEvent } from '../sinks/fake-steps.js';

test('durations read as h/m/s', () => {
  assert.equal(formatDuration(12_400), '12s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(3_725_000), '1h02m');
  assert.equal(formatDuration(NaN), '?');
});

test('a progress line shows step/total, tokens/s, loss, every aux loss and an ETA from the pace so far', () => {
  const ev = fakeStepEvent('r', 50, 200, { layers: 1, experts: 4, topK: 2, batchSize: 2, seqLen: 8 });
  // 50 steps in 100 s → 2 s/step → 150 steps left = 5m00s
  const line = progressLine(ev, { totalSteps: 200, elapsedMs: 100_000, stepsDone: 50 });
  assert.match(line, /^step 50\/200 \(25%\) \| \d+ tok\/s \| loss \d+\.\d{4} \| balance_loss [\d.]+ router_z_loss [\d.e-]+ \| ETA 5m00s$/);
});

test('after a resume the ETA uses only the steps this process made', () => {
  const ev = fakeStepEvent('r', 150, 200, { layers: 1, experts: 4, topK: 2, batchSize: 2, seqLen: 8 });
  const line = progressLine(ev, { totalSteps: 200, elapsedMs: 10_000, stepsDone: 10 });
  assert.match(line, /ETA 50s$/);
});

test('records skipped under data.onError: skip show in the progress line as soon as there are any', () => {
  const ev = fakeStepEvent('r', 50, 200, { layers: 1, experts: 4, topK: 2, batchSize: 2, seqLen: 8 });
  const none = { read: 40, used: 40, skipped: 0, skips: [], newSkips: [] };
  assert.doesNotMatch(progressLine({ ...ev, data: none }, { totalSteps: 200, elapsedMs: 100_000, stepsDone: 50 }), /skipped/);
  const some = { read: 40, used: 37, skipped: 3, skips: [{ file: 'a.jsonl', reason: 'invalid_json', count: 3 }], newSkips: [] };
  assert.match(progressLine({ ...ev, data: some }, { totalSteps: 200, elapsedMs: 100_000, stepsDone: 50 }), / \| skipped 3\/40 records \| ETA /);
});

test('the progress line says how many data-parallel workers train (only when more than one)', () => {
  const ev = fakeStepEvent('r', 50, 200, { layers: 1, experts: 4, topK: 2, batchSize: 2, seqLen: 8 });
  assert.match(progressLine(ev, { totalSteps: 200, elapsedMs: 100_000, stepsDone: 50, workers: 2 }), / tok\/s \(2 workers\) \| loss /);
  assert.doesNotMatch(progressLine(ev, { totalSteps: 200, elapsedMs: 100_000, stepsDone: 50, workers: 1 }), /workers/);
});
