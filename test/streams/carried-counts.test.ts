import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { countsIn } from '../../src/streams/carried-counts.js';
import { repeat } from '../../src/streams/repeat.js';
import { slimPajama } from '../../src/streams/slimpajama/slimpajama.js';
import type { CarriedSourceCounts } from '../../src/streams/slimpajama/source-stats.js';
import type { StageState } from '../../src/streams/stage.js';
import { docs, drain, roundTrip, tempDir, writeText } from './support/fixtures.js';

/** Two files with bad lines among good ones: 3 + 1 skips per epoch. */
function brokenFiles(dir: string): string[] {
  const a = writeText(join(dir, 'a.jsonl'), docs(6, 'a') + '{"text": broken\n' + docs(4, 'a2') + '[1]\n{"meta": {}}\n');
  const b = writeText(join(dir, 'b.jsonl'), docs(5, 'b') + '{"text": 7}\n');
  return [a, b];
}

const epochs = (files: string[]) => repeat((epoch) => slimPajama({ files, onError: 'skip', seed: 3, epoch, partitions: 2 }), { epochs: 3 });

test('read, used and skipped counts are part of the state: a flow resumed twice ends with the counts of an uninterrupted one', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = brokenFiles(dir);
    const whole = epochs(files)();
    const all = await drain(whole);
    const expected = countsIn(whole.state()) as CarriedSourceCounts;
    assert.equal(all.length, 3 * 15);
    assert.equal(expected.read, 3 * 19);
    assert.equal(expected.used, all.length);
    assert.equal(expected.read, expected.used + expected.skipped, 'read = used + skipped');
    assert.deepEqual(expected.skippedByFile, {
      [files[0]!]: { invalid_json: 3, not_an_object: 3, missing_text: 3 },
      [files[1]!]: { text_not_string: 3 },
    });

    // Stop in epoch 0, resume, stop in epoch 1, resume, finish: counts come back from the state.
    const first = epochs(files)();
    await drain(first, 10);
    let saved: StageState = roundTrip(first.state());
    const second = epochs(files)(saved);
    await drain(second, 12);
    saved = roundTrip(second.state());
    const third = epochs(files)(saved);
    await drain(third);
    assert.deepEqual(countsIn(third.state()), expected);
    const live = third.stats!() as unknown as CarriedSourceCounts;
    assert.deepEqual([live.read, live.used, live.skipped], [expected.read, expected.used, expected.skipped], 'stats() continue from the restored counts');
  } finally { cleanup(); }
});

test('a state saved before counts were carried still resumes (its counts start from zero)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = brokenFiles(dir);
    const flow = slimPajama({ files, onError: 'skip', partitions: 2 });
    const stage = flow();
    const head = await drain(stage, 4);
    const legacy = roundTrip(stage.state()) as { counts?: unknown };
    delete legacy.counts;
    const rest = flow(legacy as StageState);
    const tail = await drain(rest);
    assert.equal(head.length + tail.length, 15);
    const c = countsIn(rest.state()) as CarriedSourceCounts;
    assert.equal(c.read, c.used + c.skipped);
    assert.equal(c.used, tail.length);
  } finally { cleanup(); }
});
