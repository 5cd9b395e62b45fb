import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ArrayElement, JsonArraySplitter, type SplitFailure, type SplitStart } from '../../src/streams/llava/json-array-splitter.js';
import { collectGarbage } from '../ops/helpers.js';

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Everything the splitter gives for `text` cut into chunks of `size` bytes, from `start`. */
async function split(text: string | Buffer, size: number, start: SplitStart = { offset: 0, index: 0, inArray: false }, max = 1 << 20) {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const splitter = new JsonArraySplitter(chunksOf(bytes.subarray(start.offset), size), start, max);
  const out: (ArrayElement | SplitFailure)[] = [];
  for (;;) {
    const next = splitter.take();
    if (next === undefined) { await splitter.fill(); continue; }
    if (next === null) return out;
    out.push(next);
    if (!('bytes' in next)) return out;
  }
}

const texts = (items: (ArrayElement | SplitFailure)[]) => items.map((e) => ('bytes' in e ? e.bytes.toString() : `!${e.reason}`));

const tricky = '\uFEFF [ {"a": "x]}\\"{["}, {"b": [1, {"c": "é ✓"}]},"str,]", 12.5e3 ,true, null,[ ] ,{}\n]\n';
const trickyElements = ['{"a": "x]}\\"{["}', '{"b": [1, {"c": "é ✓"}]}', '"str,]"', '12.5e3', 'true', 'null', '[ ]', '{}'];

test('splits a top-level array into its elements: brackets and escaped quotes inside strings, scalars, a BOM, whitespace', async () => {
  assert.deepEqual(texts(await split(tricky, 1 << 16)), trickyElements);
});

test('gives the same elements, offsets and indices however the bytes are cut into chunks', async () => {
  const whole = await split(tricky, 1 << 16);
  for (let size = 1; size <= 17; size++) {
    const cut = await split(tricky, size);
    assert.deepEqual(cut.map((e) => ('bytes' in e ? [e.bytes.toString(), e.offset, e.end, e.index] : e)),
      whole.map((e) => ('bytes' in e ? [e.bytes.toString(), e.offset, e.end, e.index] : e)), `chunks of ${size} bytes`);
  }
  const bytes = Buffer.from(tricky);
  for (const e of whole) if ('bytes' in e) assert.equal(bytes.subarray(e.offset, e.end).toString(), e.bytes.toString());
});

test('resumes right after any element: the rest is what an uninterrupted split gives', async () => {
  const whole = await split(tricky, 5);
  for (const [k, e] of whole.entries()) {
    if (!('bytes' in e)) continue;
    const rest = await split(tricky, 3, { offset: e.end, index: e.index + 1, inArray: true });
    assert.deepEqual(texts(rest), trickyElements.slice(k + 1), `resumed after element ${k}`);
    assert.deepEqual(rest.map((r) => ('bytes' in r ? r.index : -1)), whole.slice(k + 1).map((r) => ('bytes' in r ? r.index : -1)));
  }
});

test('an empty array has no elements; an empty file neither', async () => {
  assert.deepEqual(await split(' [ ] ', 2), []);
  assert.deepEqual(await split('', 2), []);
});

test('malformed arrays end with one failure naming the reason and byte offset, after the good elements', async () => {
  const cases: [string, string[], SplitFailure['reason']][] = [
    ['{"id": 1}', [], 'not_an_array'],
    ['   ', [], 'not_an_array'],
    ['[{"id": 1}, {"id": 2', ['{"id": 1}'], 'truncated_array'],
    ['[{"id": 1}, {"id": 2}', ['{"id": 1}', '{"id": 2}'], 'truncated_array'],
    ['[{"id": 1} {"id": 2}]', ['{"id": 1}'], 'invalid_json'],
    ['[{"id": 1},, {"id": 2}]', ['{"id": 1}'], 'invalid_json'],
    ['[{"id": 1}] x', ['{"id": 1}'], 'invalid_json'],
    ['[{"id": "cut', [], 'truncated_array'],
  ];
  for (const [text, good, reason] of cases) {
    const out = await split(text, 4);
    assert.deepEqual(texts(out), [...good, `!${reason}`], text);
    const failure = out.at(-1) as SplitFailure;
    assert.ok(failure.offset >= 0 && failure.offset <= text.length, `${text}: offset ${failure.offset}`);
  }
});

test('an element longer than maxRecordBytes is measured, not kept', async () => {
  const long = `{"x": "${'y'.repeat(100)}"}`;
  const out = await split(`[{"a":1}, ${long}, {"b":2}]`, 7, undefined, 50) as ArrayElement[];
  assert.deepEqual(out.map((e) => [e.overlong, e.bytes.length, e.end - e.offset]), [[false, 7, 7], [true, 0, long.length], [false, 7, 7]]);
});

test('memory stays bounded while a large array streams through (64 MB of records, one kept at a time)', async () => {
  const record = (i: number) => `{"id": "${i}", "image": "coco/train2017/${String(i).padStart(12, '0')}.jpg", "conversations": [{"from": "human", "value": "<image>\\nWhat is in the picture? [${i}]"}, {"from": "gpt", "value": "${'A cat on a mat. '.repeat(20)}"}]}`;
  const total = 64 * 2 ** 20;
  async function* generated(): AsyncGenerator<Buffer> {
    yield Buffer.from('[\n');
    let bytes = 0;
    let i = 0;
    while (bytes < total) {
      const lines: string[] = [];
      for (let k = 0; k < 500; k++) lines.push(record(i++));
      const chunk = Buffer.from(lines.join(',\n') + ',\n');
      bytes += chunk.length;
      yield chunk;
    }
    yield Buffer.from(`${record(i)}\n]\n`);
  }
  collectGarbage();
  const before = process.memoryUsage();
  const splitter = new JsonArraySplitter(generated(), { offset: 0, index: 0, inArray: false }, 1 << 20);
  let count = 0;
  let peak = 0;
  for (;;) {
    const next = splitter.take();
    if (next === undefined) { await splitter.fill(); continue; }
    if (next === null) break;
    assert.ok('bytes' in next, 'no failure expected');
    count++;
    if (count % 20000 === 0) {
      collectGarbage();
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
    }
  }
  assert.ok(count > 100000, `${count} records`);
  // Reading it whole would hold ≥ 64 MB of bytes (and several times that parsed).
  assert.ok(peak < 16 * 2 ** 20, `memory grew by ${(peak / 2 ** 20).toFixed(1)} MB while streaming 64 MB`);
});
