import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repeat } from '../../src/streams/repeat.js';
import { slimPajama, type TextRecord } from '../../src/streams/slimpajama/slimpajama.js';
import { fromArray } from '../../src/streams/from-array.js';
import { docs, drain, roundTrip, tempDir, writeGzip, writeText } from './support/fixtures.js';
import { assertResumes } from './support/resume.js';

function corpus(dir: string): string[] {
  return [3, 5, 2, 4, 1, 6].map((n, i) => (i % 2 ? writeGzip : writeText)(join(dir, `f${i}.jsonl${i % 2 ? '.gz' : ''}`), docs(n, `f${i}`)));
}
const fileOrder = (records: TextRecord[]) => [...new Set(records.map((r) => r.provenance.file))];

test('each epoch reads every record once, with a file order drawn from (seed, epoch)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const records = await drain(repeat((epoch) => slimPajama({ files, seed: 4, epoch, partitions: 1 }), { epochs: 3 })());
    assert.equal(records.length, 3 * 21);
    const epochs = [records.slice(0, 21), records.slice(21, 42), records.slice(42)];
    for (const e of epochs) assert.deepEqual(e.map((r) => r.text).sort(), epochs[0]!.map((r) => r.text).sort());
    assert.notDeepEqual(fileOrder(epochs[0]!), fileOrder(epochs[1]!));
    assert.notDeepEqual(fileOrder(epochs[1]!), fileOrder(epochs[2]!));
    const again = await drain(repeat((epoch) => slimPajama({ files, seed: 4, epoch, partitions: 1 }), { epochs: 3 })());
    assert.deepEqual(again, records);
  } finally { cleanup(); }
});

test('resuming exactly at an epoch boundary (and around it) continues like an uninterrupted run', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const flow = repeat((epoch) => slimPajama({ files, seed: 4, epoch, partitions: 2 }), { epochs: 3 });
    await assertResumes(flow, [[21, 0], [21, 21], [20, 1], [22, 20], [42, 21], [5, 16]], 'epochs');
    const stage = flow();
    await drain(stage, 21);
    const saved = roundTrip(stage.state()) as { epoch: number };
    assert.equal(saved.epoch, 0, 'after the last record of epoch 0 the state still names epoch 0');
  } finally { cleanup(); }
});

test('stats sum the finished epochs and the running one', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const stage = repeat((epoch) => slimPajama({ files, seed: 4, epoch }), { epochs: 2 })();
    await drain(stage, 30);
    const stats = stage.stats!() as { read: number; used: number; epoch: number };
    assert.deepEqual([stats.epoch, stats.read, stats.used], [1, 30, 30]);
  } finally { cleanup(); }
});

test('an infinite repeat of an empty flow fails instead of spinning', async () => {
  await assert.rejects(drain(repeat(() => fromArray<number>([]), { epochs: Infinity })()), /epoch 0 produced no items/);
  assert.deepEqual(await drain(repeat(() => fromArray([1, 2]), { epochs: Infinity })(), 5), [1, 2, 1, 2, 1]);
  const flow = repeat(() => fromArray([1, 2]), { epochs: Infinity });
  const stage = flow();
  await drain(stage, 2);
  assert.deepEqual(await drain(flow(roundTrip(stage.state())), 3), [1, 2, 1], 'resuming at the end of an epoch is not an empty epoch');
});
