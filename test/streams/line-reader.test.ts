import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Line, LineReader } from '../../src/streams/lines/line-reader.js';

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(reader: LineReader): Promise<Line[]> {
  const lines: Line[] = [];
  for (;;) {
    const line = reader.take();
    if (line === null) return lines;
    if (line === undefined) await reader.fill();
    else lines.push(line);
  }
}

const text = 'first\nsecond line\n\n{"x":"é"}\r\nlast without newline';

test('line numbers are 1-based and offsets exact, whatever the chunk size', async () => {
  const bytes = Buffer.from(text);
  for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
    const lines = await readAll(new LineReader(chunksOf(bytes, size), { offset: 0, line: 1 }, 1 << 20));
    assert.deepEqual(lines.map((l) => l.line), [1, 2, 3, 4, 5], `chunk ${size}`);
    for (const l of lines) {
      assert.equal(bytes.subarray(l.offset, l.offset + l.length).toString(), l.bytes.toString(), `chunk ${size} line ${l.line}`);
    }
    assert.deepEqual(lines.map((l) => l.bytes.toString()), ['first', 'second line', '', '{"x":"é"}\r', 'last without newline']);
    assert.deepEqual(lines.map((l) => l.terminated), [true, true, true, true, false]);
  }
});

test('a reader started at a saved (offset, line) continues the numbering', async () => {
  const bytes = Buffer.from(text);
  const all = await readAll(new LineReader(chunksOf(bytes, 5), { offset: 0, line: 1 }, 1 << 20));
  const third = all[2]!;
  const rest = await readAll(new LineReader(chunksOf(bytes.subarray(third.offset), 4), { offset: third.offset, line: third.line }, 1 << 20));
  assert.deepEqual(rest, all.slice(2));
});

test('a line longer than maxLineBytes is reported as overlong with its length, without keeping its bytes', async () => {
  const bytes = Buffer.from(`short\n${'x'.repeat(100)}\nafter\n`);
  const lines = await readAll(new LineReader(chunksOf(bytes, 8), { offset: 0, line: 1 }, 50));
  assert.deepEqual(lines.map((l) => [l.line, l.overlong, l.length, l.bytes.length]), [[1, false, 5, 5], [2, true, 100, 0], [3, false, 5, 5]]);
  assert.equal(lines[2]!.offset, 6 + 101);
});

test('a file ending in a newline has no empty extra line', async () => {
  const lines = await readAll(new LineReader(chunksOf(Buffer.from('a\nb\n'), 3), { offset: 0, line: 1 }, 100));
  assert.deepEqual(lines.map((l) => l.bytes.toString()), ['a', 'b']);
});
