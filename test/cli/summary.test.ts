import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summaryText } from '../../src/cli/run/summary.js';

const base = { runId: 'r', runDir: '/runs/r', steps: 10, lastStep: 10, tokens: 1000, wallMs: 2000, lastLoss: 2.5, workers: 1, tables: {} };

test('the run summary reconciles the data read (read = used + skipped) and lists skips per file and reason', () => {
  const skips = Array.from({ length: 12 }, (_, i) => ({ file: `f${String(i).padStart(2, '0')}.jsonl`, reason: 'invalid_json', count: 1 }));
  const text = summaryText({ ...base, data: { read: 112, used: 100, skipped: 12, skips, newSkips: [] } });
  assert.match(text, /^data: read 112 = used 100 \+ skipped 12 records$/m);
  assert.match(text, /^ {2}skipped 1 × invalid_json in f00\.jsonl$/m);
  assert.match(text, /^ {2}… 2 more \(file, reason\) pairs$/m);
  assert.match(text, /read_parquet\('\/runs\/r\/data-\*\.parquet'\)/);
});

test('a run without skips says so in one line; a driver that reports no counts adds none', () => {
  const text = summaryText({ ...base, data: { read: 50, used: 50, skipped: 0, skips: [], newSkips: [] } });
  assert.match(text, /^data: read 50 = used 50 \+ skipped 0 records$/m);
  assert.doesNotMatch(text, /all skips/);
  assert.doesNotMatch(summaryText(base), /^data:/m);
});

test('the summary says how many threads trained (trainer.workers)', () => {
  assert.match(summaryText(base), /^done: 10 steps \(last 10\), 1000 tokens in 2s \(500 tok\/s\), 1 thread$/m);
  assert.match(summaryText({ ...base, workers: 2 }), /\(500 tok\/s\), 2 data-parallel workers$/m);
});
