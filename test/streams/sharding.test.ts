import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { slimPajama, type TextRecord } from '../../src/streams/slimpajama/slimpajama.js';
import { interleave } from '../../src/streams/interleave.js';
import { assertResumes } from './support/resume.js';
import type { ReadCounts } from '../../src/streams/slimpajama/source-stats.js';
import { docs, drain, tempDir, writeGzip, writeText } from './support/fixtures.js';

const key = (r: TextRecord) => `${r.provenance.file}:${r.provenance.line}`;

function corpus(dir: string): string[] {
  return [7, 13, 1, 20, 4, 9].map((n, i) => (i % 2 ? writeGzip : writeText)(join(dir, `f${i}.jsonl${i % 2 ? '.gz' : ''}`), docs(n, `f${i}`)));
}

test('worldSize 1, 2, 3 and 4 each cover every record exactly once', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const all = (await drain(slimPajama({ files, seed: 9, partitions: 4 })())).map(key);
    assert.equal(all.length, 54);
    for (const worldSize of [1, 2, 3, 4]) {
      const seen: string[] = [];
      for (let rank = 0; rank < worldSize; rank++) seen.push(...(await drain(slimPajama({ files, seed: 9, partitions: 4, rank, worldSize })())).map(key));
      assert.deepEqual([...seen].sort(), [...all].sort(), `worldSize ${worldSize}`);
    }
  } finally { cleanup(); }
});

test('rank batches, taken in global-batch order, reproduce the worldSize 1 order exactly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const global = (await drain(slimPajama({ files, seed: 9, partitions: 4 })())).map(key);
    const globalBatch = 12;
    for (const worldSize of [2, 3, 4]) {
      const ranks = await Promise.all(Array.from({ length: worldSize }, async (_, rank) =>
        (await drain(slimPajama({ files, seed: 9, partitions: 4, rank, worldSize })())).map(key)));
      const perRank = globalBatch / worldSize;
      const rebuilt: string[] = [];
      for (let step = 0; rebuilt.length < global.length; step++) {
        const batch: string[] = [];
        // Within a global batch, item j of rank r is global position j·W + r.
        for (let j = 0; j < perRank; j++) for (let r = 0; r < worldSize; r++) {
          const item = ranks[r]![step * perRank + j];
          if (item !== undefined) batch.push(item);
        }
        assert.deepEqual([...batch].sort(), [...global.slice(step * globalBatch, (step + 1) * globalBatch)].sort(), `W=${worldSize} step ${step} holds the same records`);
        rebuilt.push(...batch);
      }
      assert.deepEqual(rebuilt, global, `worldSize ${worldSize}`);
    }
  } finally { cleanup(); }
});

test('loader workers split a rank further: consumer rank + worldSize·worker takes every (worldSize·numWorkers)-th slot', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const global = (await drain(slimPajama({ files, seed: 9, partitions: 4 })())).map(key);
    const W = 2, N = 3;
    const consumers = new Map<number, string[]>();
    for (let rank = 0; rank < W; rank++) for (let worker = 0; worker < N; worker++) {
      consumers.set(rank + W * worker, (await drain(slimPajama({ files, seed: 9, partitions: 4, rank, worldSize: W, worker, numWorkers: N })())).map(key));
    }
    assert.deepEqual(global.map((_, g) => consumers.get(g % (W * N))![Math.floor(g / (W * N))]), global);
  } finally { cleanup(); }
});

test('the order depends on the seed and the partition count, and the partitions interleave files', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const order = async (seed: number, partitions: number) => (await drain(slimPajama({ files, seed, partitions })())).map(key);
    assert.deepEqual(await order(1, 4), await order(1, 4));
    assert.notDeepEqual(await order(1, 4), await order(2, 4));
    const one = await order(1, 1);
    const four = await order(1, 4);
    assert.notDeepEqual(one, four);
    assert.deepEqual([...one].sort(), [...four].sort());
    // With P = 4, the first four records come from four different files.
    assert.equal(new Set(four.slice(0, 4).map((k) => k.split(':')[0])).size, 4);
  } finally { cleanup(); }
});

test('skip counts of all consumers add up to the data set: each bad slot is counted by exactly one consumer', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = [writeText(join(dir, 'a.jsonl'), docs(5) + 'bad\n\n' + docs(5) + '{"text":1}\n'), writeText(join(dir, 'b.jsonl'), '')];
    let read = 0, used = 0, skipped = 0, blank = 0;
    for (let rank = 0; rank < 3; rank++) {
      const stage = slimPajama({ files, onError: 'skip', rank, worldSize: 3, partitions: 2 })();
      await drain(stage);
      const s = stage.stats!() as unknown as ReadCounts;
      read += s.read; used += s.used; skipped += s.skipped; blank += s.blankLines;
    }
    assert.deepEqual({ read, used, skipped, blank }, { read: 13, used: 10, skipped: 3, blank: 1 });
  } finally { cleanup(); }
});

test('interleaving a rank\'s workers gives the rank\'s share of the global order, and resumes exactly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = corpus(dir);
    const W = 2;
    for (let rank = 0; rank < W; rank++) {
      const alone = (await drain(slimPajama({ files, seed: 9, partitions: 4, rank, worldSize: W })())).map(key);
      const workers = (n: number) => interleave(Array.from({ length: n }, (_, worker) =>
        slimPajama({ files, seed: 9, partitions: 4, rank, worldSize: W, worker, numWorkers: n })));
      assert.deepEqual((await drain(workers(3)())).map(key), alone, `rank ${rank}, 3 workers`);
      await assertResumes(workers(2), [[0, 1], [5, 7], [13, 20]], `rank ${rank}, 2 workers`);
    }
  } finally { cleanup(); }
});
