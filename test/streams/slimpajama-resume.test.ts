import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { slimPajama } from '../../src/streams/slimpajama/slimpajama.js';
import { NO_ZSTD, docs, drain, hasZstdCli, roundTrip, tempDir, writeGzip, writeText, writeZstd } from './support/fixtures.js';
import { assertResumes } from './support/resume.js';

/** Five files of different formats and lengths, with blank and bad lines sprinkled in. */
function corpus(dir: string): string[] {
  const bad = '{"text": broken}\n\n';
  return [
    writeText(join(dir, 'a.jsonl'), docs(9, 'a') + bad + docs(4, 'a2')),
    writeGzip(join(dir, 'b.jsonl.gz'), docs(17, 'b')),
    writeZstd(join(dir, 'c.jsonl.zst'), docs(3, 'c') + bad + docs(11, 'c2')),
    writeText(join(dir, 'd.jsonl'), docs(1, 'd')),
    writeZstd(join(dir, 'e.jsonl.zst'), docs(25, 'e'), ['--long=31']),
  ];
}

for (const decoder of ['cli', 'js'] as const) {
  test(`the source resumes exactly from a JSON round-tripped state, twice in a row (zstd ${decoder})`, { skip: !hasZstdCli && NO_ZSTD }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const files = corpus(dir);
      const flow = slimPajama({ files, decoder, onError: 'skip', seed: 3, partitions: 3 });
      const full = await assertResumes(flow, [[0, 0], [1, 1], [5, 17], [23, 2], [40, 30], [67, 0], [66, 1]], decoder);
      assert.equal(full.length, 9 + 4 + 17 + 3 + 11 + 1 + 25);
    } finally { cleanup(); }
  });
}

test('a sharded consumer resumes exactly too', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const flow = slimPajama({ files: corpus(dir), onError: 'skip', partitions: 4, rank: 1, worldSize: 3, worker: 1, numWorkers: 2 });
    await assertResumes(flow, [[1, 1], [3, 4], [5, 0]], 'rank 1/3 worker 1/2');
  } finally { cleanup(); }
});

test('a state of the source after the last record resumes to an empty stream', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const flow = slimPajama({ files: [writeText(join(dir, 'x.jsonl'), docs(4))] });
    const stage = flow();
    assert.equal((await drain(stage)).length, 4);
    assert.deepEqual(await drain(flow(roundTrip(stage.state()))), []);
  } finally { cleanup(); }
});

test('a state saved for another file list, seed or consumer is rejected with a clear message', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = [writeText(join(dir, 'x.jsonl'), docs(4)), writeText(join(dir, 'y.jsonl'), docs(4))];
    const stage = slimPajama({ files, seed: 1 })();
    await drain(stage, 2);
    const saved = roundTrip(stage.state());
    assert.throws(() => slimPajama({ files, seed: 2 })(saved), /different file list, seed, epoch or partition count/);
    assert.throws(() => slimPajama({ files, seed: 1, rank: 1, worldSize: 2 })(saved), /belongs to consumer 0 of 1, not 1 of 2/);
    assert.throws(() => slimPajama({ files })(42), /not a slimPajama state/);
  } finally { cleanup(); }
});
