import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slimPajama } from '../../src/streams/index.js';
import { bestEncoder, tokenizersEncoder } from '../../src/tokenizer/batch-encoder.js';
import { textFlow } from '../../src/ops/text-flow.js';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { tokenize } from '../../src/ops/tokenize.js';
import { pack } from '../../src/ops/pack.js';
import { shuffle } from '../../src/ops/shuffle.js';
import { batch } from '../../src/ops/batch.js';
import { prefetch } from '../../src/ops/prefetch.js';
import { map } from '../../src/ops/map.js';
import { loadTokenizer, separatorId } from '../../src/tokenizer/tokenizer.js';
import { statsOf } from '../../src/ops/support/stats.js';
import type { PackedWindow } from '../../src/ops/items/packed-window.js';
import { assertResumesExactly, sharedPath, textRecords } from './helpers.js';
import { tinyTokenizer } from '../tokenizer/tiny-tokenizer.js';

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

test('with the Phi-3 tokenizer the shared SlimPajama sample packs into windows separated by <|endoftext|>', async (t) => {
  const tokenizerPath = sharedPath('data/tokenizers/phi-3-mini/tokenizer.json');
  const shard = sharedPath('data/slimpajama/example_shared_0.jsonl.zst');
  if (!tokenizerPath || !shard) return t.skip('../shared data absent');
  const tokenizer = loadTokenizer(tokenizerPath);
  const encoder = bestEncoder(readFileSync(tokenizerPath, 'utf8'));
  assert.equal(encoder.kind, 'tokenizers');
  const stage = pipe(slimPajama({ files: [shard] }), tokenize({ encoder }), pack({ seqLen: 1024, separatorId: separatorId(tokenizer) }))();
  let windows = 0;
  let separators = 0;
  for await (const w of stage) {
    windows++;
    separators += w.tokens.subarray(1).filter((id) => id === 32000).length;
  }
  const packStats = statsOf(stage.stats!(), 'pack')!;
  assert.equal(packStats['docs'], 116);
  assert.equal(packStats['windows'], windows);
  assert.ok(separators >= 100 && separators <= 116, `${separators} separators inside windows`);
});

test('textFlow builds the standard path and resumes exactly, with and without shuffle', async () => {
  const trained = await tinyTokenizer();
  const records = textRecords(120);
  for (const shuffleOption of [undefined, { bufferSize: 6, seed: 1 }]) {
    const flow = textFlow(fromArray(records), {
      encoder: tokenizersEncoder(trained.tokenizer), seqLen: 16, separatorId: 0, batchSize: 4, segmentIds: true,
      ...(shuffleOption ? { shuffle: shuffleOption } : {}),
    });
    const all = await assertResumesExactly(flow, 3, 2);
    assert.ok(all.length > 5);
    assert.deepEqual([all[0]!.batchSize, all[0]!.seqLen], [4, 16]);
  }
});
