import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llava } from '../../src/streams/llava/llava.js';
import { countsIn } from '../../src/streams/carried-counts.js';
import { drain, roundTrip } from '../ops/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'moeflow-llava-counts-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('the LLaVA source carries read/used/skipped in its state: a resumed run ends with the counts of an uninterrupted one', async () => {
  writeFileSync(join(dir, 'ok.png'), Buffer.from('not checked beyond size'));
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    const image = i % 4 === 1 ? 'missing.png' : 'ok.png';
    lines.push(JSON.stringify({ id: `r${i}`, image, conversations: [{ from: 'human', value: '<image>\nQ' }, { from: 'gpt', value: 'A' }] }));
  }
  writeFileSync(join(dir, 'data.jsonl'), lines.join('\n') + '\n');
  const flow = llava({ files: [join(dir, 'data.jsonl')], imageRoot: dir, onError: 'skip' });
  const whole = flow();
  await drain(whole);
  const end = countsIn(whole.state()) as { read: number; used: number; skipped: number; skippedByReason: Record<string, number> };
  assert.deepEqual([end.read, end.used, end.skipped], [12, 9, 3]);
  const first = flow();
  await drain(first, 4);
  const resumed = flow(roundTrip(first.state()));
  await drain(resumed);
  const after = countsIn(resumed.state()) as typeof end;
  assert.deepEqual(after, end, 'counts survive the resume');
  assert.equal(after.read, after.used + after.skipped, 'read = used + skipped');
  const stats = resumed.stats!() as { read: number; used: number; skipped: number };
  assert.deepEqual([stats.read, stats.used, stats.skipped], [12, 9, 3], 'stats() continues from the restored counts');
});
