import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slimPajama } from '../../src/streams/index.js';
import { bestEncoder } from '../../src/ops/batch-encoder.js';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { tokenize } from '../../src/ops/tokenize.js';
import { pack } from '../../src/ops/pack.js';
import { shuffle } from '../../src/ops/shuffle.js';
import { batch } from '../../src/ops/batch.js';
import { prefetch } from '../../src/ops/prefetch.js';
import { map } from '../../src/ops/map.js';
import { separatorId } from '../../src/ops/tokenizer.js';
import type { PackedWindow } from '../../src/ops/packed-window.js';
import { assertResumesExactly, textRecords } from './helpers.js';
import { tinyTokenizer } from './tiny-tokenizer.js';

test('a whole text flow (tokenize → pack → shuffle → batch → prefetch) resumes exactly, twice in a row', async () => {
  const { tokenizer } = await tinyTokenizer();
  const flow = pipe(
    fromArray(textRecords(150)),
    tokenize({ tokenizer, batchSize: 16 }),
    pack({ seqLen: 32, separatorId: separatorId(tokenizer), segmentIds: true }),
    map((w: PackedWindow) => w, { concurrency: 3 }),
    shuffle<PackedWindow>({ bufferSize: 8, seed: 42 }),
    batch({ size: 4 }),
    prefetch(2),
  );
  for (const first of [0, 1, 3, 7]) await assertResumesExactly(flow, first, 2);
});

test('SlimPajama source → tokenize (worker pool) → pack resumes exactly from JSON states', async () => {
  const trained = await tinyTokenizer();
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-flow-'));
  const encoder = bestEncoder(trained.json, { workers: 2 });
  try {
    const records = textRecords(120);
    for (const part of [0, 1, 2]) {
      const lines = records.slice(part * 40, part * 40 + 40).map((r) => JSON.stringify({ text: r.text, meta: { redpajama_set_name: r.domain } }));
      writeFileSync(join(dir, `part-${part}.jsonl`), `${lines.join('\n')}\n`);
    }
    const flow = pipe(
      slimPajama({ files: [dir], seed: 3 }),
      tokenize({ encoder, batchSize: 8, batchesInFlight: 3 }),
      pack({ seqLen: 24, separatorId: separatorId(trained.tokenizer), segmentIds: true }),
    );
    for (const first of [0, 5, 40]) await assertResumesExactly(flow, first, 17);
  } finally {
    await encoder.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
