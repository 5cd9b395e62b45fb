import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { mix } from '../../src/streams/mix.js';
import type { Flow } from '../../src/streams/stage.js';
import { padBatch } from '../../src/ops/pad-batch.js';
import { textSamples } from '../../src/ops/text-samples.js';
import { IGNORE_INDEX as I, IMAGE_TOKEN_INDEX } from '../../src/ops/items/conversation-sample.js';
import type { PaddableSample } from '../../src/ops/items/image-text-batch.js';
import type { TokenizedDoc } from '../../src/ops/items/tokenized-doc.js';
import { assertResumesExactly, drain } from './helpers.js';

/** Sample k: an image sample (pixels all k) or a text one, with `len` ids. */
function sample(k: number, modality: 'image' | 'text', len: number): PaddableSample {
  const ids = Int32Array.from({ length: len }, (_, i) => (modality === 'image' && i === 1 ? IMAGE_TOKEN_INDEX : 100 * k + i));
  const labels = ids.map((id, i) => (i < 2 ? I : id));
  return {
    ids, labels, modality, provenance: { record: k },
    ...(modality === 'image' ? { pixels: { data: new Float32Array(3 * 2 * 2).fill(k), shape: [3, 2, 2] as const } } : {}),
  };
}

const seq = (n: number) => Array.from({ length: n }, (_, k) => sample(k, k % 3 === 2 ? 'text' : 'image', 3 + ((k * 5) % 7)));
const records = (batch: { provenance: readonly unknown[] }) => batch.provenance.map((p) => (p as { record: number }).record);

test('pads to the longest row: pad id, labels −100 and attention mask 0 there; image pixels stacked with their rows', async () => {
  const rows = [sample(0, 'image', 4), sample(1, 'text', 6), sample(2, 'image', 3)];
  const [batch] = await drain(pipe(fromArray(rows), padBatch({ size: 3, padId: 0 }))());
  assert.equal(batch!.seqLen, 6);
  assert.deepEqual(Array.from(batch!.ids), [0, IMAGE_TOKEN_INDEX, 2, 3, 0, 0, 100, 101, 102, 103, 104, 105, 200, IMAGE_TOKEN_INDEX, 202, 0, 0, 0]);
  assert.deepEqual(Array.from(batch!.labels), [I, I, 2, 3, I, I, I, I, 102, 103, 104, 105, I, I, 202, I, I, I]);
  assert.deepEqual(Array.from(batch!.attentionMask), [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(batch!.imageRows), [0, 2]);
  assert.deepEqual(batch!.imageShape, [3, 2, 2]);
  assert.deepEqual(Array.from(batch!.pixels!), [...Array<number>(12).fill(0), ...Array<number>(12).fill(2)]);
  assert.deepEqual(batch!.modality, ['image', 'text', 'image']);
});

test('without grouping, batches follow the input order; the remainder is emitted or dropped and counted', async () => {
  const out = await drain(pipe(fromArray(seq(7)), padBatch({ size: 3, padId: 0 }))());
  assert.deepEqual(out.map(records), [[0, 1, 2], [3, 4, 5], [6]]);
  const stage = pipe(fromArray(seq(7)), padBatch({ size: 3, padId: 0, dropRemainder: true }))();
  assert.deepEqual((await drain(stage)).map(records), [[0, 1, 2], [3, 4, 5]]);
  assert.equal((stage.stats!() as { samplesDropped: number }).samplesDropped, 1);
});

test('grouping by modality (LLaVA\'s sampler): image and text batches apart within a window; leftovers form one mixed batch', async () => {
  // Window of 2 batches × 2 = 4 samples: records 0,1 image, 2 text, 3 image | 4 image, 5 text, 6, 7 image | 8 text, 9 image
  const out = await drain(pipe(fromArray(seq(10)), padBatch({ size: 2, padId: 0, groupBy: 'modality', windowBatches: 2 }))());
  assert.deepEqual(out.map(records), [[0, 1], [3, 2], [4, 6], [7, 5], [9, 8]]);
  assert.deepEqual(out.map((b) => b.modality.join()), ['image,image', 'image,text', 'image,image', 'image,text', 'image,text']);
});

test('grouping by modality and length sorts each modality longest first inside the window', async () => {
  const rows = [sample(0, 'image', 3), sample(1, 'image', 9), sample(2, 'image', 5), sample(3, 'image', 7), sample(4, 'text', 4), sample(5, 'text', 8)];
  const out = await drain(pipe(fromArray(rows), padBatch({ size: 2, padId: 0, groupBy: 'modality-length', windowBatches: 3 }))());
  assert.deepEqual(out.map(records), [[1, 3], [2, 0], [5, 4]]);
  assert.deepEqual(out.map((b) => b.seqLen), [9, 5, 8]);
});

test('resumes exactly at every batch, with and without grouping', async () => {
  for (const groupBy of ['none', 'modality', 'modality-length'] as const) {
    const flow = pipe(fromArray(seq(23)), padBatch({ size: 3, padId: 7, groupBy, windowBatches: 2 }));
    for (const [a, b] of [[0, 1], [1, 1], [2, 3], [3, 1], [5, 2]] as const) await assertResumesExactly(flow, a, b);
  }
});

test('weighted mixing of text documents and image-text samples into one batched stream, resumable', async () => {
  const docs: TokenizedDoc[] = Array.from({ length: 30 }, (_, i) => ({
    ids: Int32Array.from({ length: 2 + (i % 5) }, (_, j) => 5000 + 10 * i + j), domain: i % 2 ? 'RedPajamaC4' : 'RedPajamaArXiv',
    provenance: { file: 'text.jsonl', line: i + 1 }, chars: 10, bytes: 10,
  }));
  const text: Flow<PaddableSample> = pipe(fromArray(docs), textSamples({ maxLength: 4 }));
  const images: Flow<PaddableSample> = fromArray(seq(30).filter((s) => s.modality === 'image'));
  const mixed = mix<PaddableSample>([{ flow: images, weight: 3 }, { flow: text, weight: 1 }], { seed: 5 });
  const flow = pipe(mixed, padBatch({ size: 4, padId: 0, groupBy: 'modality', windowBatches: 2 }));
  const all = await assertResumesExactly(flow, 2, 3);
  const rows = all.flatMap((b) => b.modality);
  const share = rows.filter((m) => m === 'text').length / rows.length;
  assert.ok(share > 0.1 && share < 0.45, `text share ${share.toFixed(2)} for weights 3:1`);
  // A text sample is its document, cut to maxLength, every token a target.
  const textRow = all.flatMap((b) => b.modality.map((m, r) => ({ m, b, r }))).find((x) => x.m === 'text')!;
  const width = textRow.b.seqLen;
  const ids = Array.from(textRow.b.ids.subarray(textRow.r * width, (textRow.r + 1) * width)).filter((_, i) => textRow.b.attentionMask[textRow.r * width + i] === 1);
  assert.ok(ids.length <= 4 && ids.every((id) => id >= 5000));
  assert.deepEqual(Array.from(textRow.b.labels.subarray(textRow.r * width, textRow.r * width + ids.length)), ids);
});
