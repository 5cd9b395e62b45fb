import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { tokenize } from '../../src/ops/tokenize.js';
import { tokenizersEncoder } from '../../src/tokenizer/batch-encoder.js';
import type { TextRecord } from '../../src/ops/items/text-record.js';
import type { Flow, Json, Stage } from '../../src/streams/stage.js';
import { assertResumesExactly, drain, textRecords } from './helpers.js';
import { tinyTokenizer } from '../tokenizer/tiny-tokenizer.js';

const RECORDS = textRecords(60);

test('tokenize keeps document order, domain and provenance, with the same ids as one-by-one encoding', async () => {
  const { tokenizer } = await tinyTokenizer();
  const out = await drain(pipe(fromArray(RECORDS), tokenize({ tokenizer, batchSize: 7, batchesInFlight: 3 }))());
  assert.equal(out.length, RECORDS.length);
  for (let i = 0; i < RECORDS.length; i++) {
    const single = await tokenizer.encode(RECORDS[i]!.text, null, { addSpecialTokens: false });
    assert.deepEqual(Array.from(out[i]!.ids), single.getIds());
    assert.equal(out[i]!.domain, RECORDS[i]!.domain);
    assert.deepEqual(out[i]!.provenance, RECORDS[i]!.provenance);
    assert.equal(out[i]!.chars, RECORDS[i]!.text.length);
  }
});

test('tokenize reads at most batchSize × batchesInFlight documents ahead of delivery', async () => {
  const { tokenizer } = await tinyTokenizer();
  let pulled = 0;
  const counted: Flow<TextRecord> = (resume) => {
    let next = typeof resume === 'number' ? resume : 0;
    const stage: Stage<TextRecord> = {
      state: (): Json => next,
      async *[Symbol.asyncIterator]() {
        while (next < RECORDS.length) { pulled++; yield RECORDS[next++]!; }
      },
    };
    return stage;
  };
  let delivered = 0;
  for await (const _ of pipe(counted, tokenize({ tokenizer, batchSize: 4, batchesInFlight: 2 }))()) {
    delivered++;
    assert.ok(pulled <= delivered + 8, `pulled ${pulled} after delivering ${delivered}`);
  }
  assert.equal(delivered, RECORDS.length);
});

test('tokenize resumes exactly (read-ahead documents are re-read), twice in a row', async () => {
  const { tokenizer } = await tinyTokenizer();
  const flow = pipe(fromArray(RECORDS), tokenize({ tokenizer, batchSize: 8 }));
  for (const first of [0, 1, 8, 9, 30, 59]) await assertResumesExactly(flow, first, 5);
});

test('tokenize counts documents, characters, bytes and tokens', async () => {
  const { tokenizer } = await tinyTokenizer();
  const stage = pipe(fromArray(RECORDS), tokenize({ tokenizer }))();
  const out = await drain(stage);
  const stats = stage.stats!() as Record<string, number>;
  assert.equal(stats['docs'], RECORDS.length);
  assert.equal(stats['chars'], RECORDS.reduce((s, r) => s + r.text.length, 0));
  assert.equal(stats['bytes'], RECORDS.reduce((s, r) => s + Buffer.byteLength(r.text), 0));
  assert.equal(stats['tokens'], out.reduce((s, d) => s + d.ids.length, 0));
});

test('a record without text fails naming its file and line', async () => {
  const { tokenizer } = await tinyTokenizer();
  const bad = [...RECORDS.slice(0, 3), { domain: 'x', provenance: { file: 'shard-7.jsonl', line: 41 } } as unknown as TextRecord];
  await assert.rejects(drain(pipe(fromArray(bad), tokenize({ tokenizer }))()), /shard-7\.jsonl:41 has no text/);
});

test('tokenize wants exactly one of tokenizer or encoder', async () => {
  const { tokenizer } = await tinyTokenizer();
  assert.throws(() => tokenize({}), /exactly one of tokenizer or encoder/);
  assert.throws(() => tokenize({ tokenizer, encoder: tokenizersEncoder(tokenizer) }), /exactly one of tokenizer or encoder/);
});
