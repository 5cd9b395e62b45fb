import { test } from 'node:test';
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
