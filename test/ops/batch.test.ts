import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { batch } from '../../src/ops/batch.js';
import { pack } from '../../src/ops/pack.js';
import type { TokenizedDoc } from '../../src/ops/items/tokenized-doc.js';
import { assertResumesExactly, drain } from './helpers.js';

const DOCS: TokenizedDoc[] = Array.from({ length: 30 }, (_, i) => ({
  ids: Int32Array.from({ length: 3 + (i % 7) }, (_, k) => i * 100 + k),
  domain: i % 3 === 0 ? 'code' : 'web',
  provenance: { file: 'f', line: i },
  chars: 10,
  bytes: 10,
}));

test('batch stacks windows row-major into typed arrays with domain ids and names', async () => {
  const windows = await drain(pipe(fromArray(DOCS), pack({ seqLen: 6, separatorId: 0, segmentIds: true }))());
  const batches = await drain(pipe(fromArray(DOCS), pack({ seqLen: 6, separatorId: 0, segmentIds: true }), batch({ size: 4 }))());
  assert.equal(batches.length, Math.ceil(windows.length / 4));
  batches.forEach((b, k) => {
    const rows = windows.slice(k * 4, k * 4 + 4);
    assert.deepEqual([b.batchSize, b.seqLen], [rows.length, 6]);
    assert.ok(b.tokens instanceof Int32Array && b.domainIds instanceof Uint8Array && b.segmentIds instanceof Int32Array);
    rows.forEach((w, r) => {
      assert.deepEqual(b.tokens.subarray(r * 7, r * 7 + 7), w.tokens);
      assert.deepEqual(b.domainIds!.subarray(r * 7, r * 7 + 7), w.domains);
      assert.deepEqual(b.segmentIds!.subarray(r * 7, r * 7 + 7), w.segmentIds);
      assert.equal(b.windowIndex![r], w.index);
    });
    assert.deepEqual(b.domains, ['code', 'web']);
  });
});

test('a short final batch is emitted, or dropped and counted when asked', async () => {
  const windows = (await drain(pipe(fromArray(DOCS), pack({ seqLen: 6, separatorId: 0 }))())).length;
  assert.notEqual(windows % 4, 0, 'fixture should leave a remainder');
  const kept = await drain(pipe(fromArray(DOCS), pack({ seqLen: 6, separatorId: 0 }), batch({ size: 4 }))());
  assert.equal(kept.at(-1)!.batchSize, windows % 4);
  const stage = pipe(fromArray(DOCS), pack({ seqLen: 6, separatorId: 0 }), batch({ size: 4, dropRemainder: true }))();
  const dropped = await drain(stage);
  assert.ok(dropped.every((b) => b.batchSize === 4));
  const stats = stage.stats!() as { windows: number; windowsDropped: number };
  assert.equal(stats.windows + stats.windowsDropped, windows);
});

test('batch resumes exactly, twice in a row', async () => {
  const flow = pipe(fromArray(DOCS), pack({ seqLen: 6, separatorId: 0 }), batch({ size: 3 }));
  for (const first of [0, 1, 4]) await assertResumesExactly(flow, first, 2);
});
