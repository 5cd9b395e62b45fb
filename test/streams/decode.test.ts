import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { openDecoded } from '../../src/streams/decode/open-decoded.js';
import { DecodeError } from '../../src/streams/decode/decode-error.js';
import { ZstdStreamDecoder } from '../../src/streams/zstd/zstd-stream-decoder.js';
import { NO_ZSTD, docs, hasZstdCli, tempDir, writeGzip, writeText, writeZstd } from './support/fixtures.js';

async function decodeAll(file: string, zstd?: 'cli' | 'js', start?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of openDecoded(file, { zstd, start })) parts.push(chunk);
  return Buffer.concat(parts);
}

test('plain, gzip and zstd (CLI and JS) files decode to the same bytes', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = docs(3000);
    const plain = writeText(join(dir, 'a.jsonl'), text);
    const gz = writeGzip(join(dir, 'a.jsonl.gz'), text);
    const zst = writeZstd(join(dir, 'a.jsonl.zst'), text, ['-19']);
    for (const bytes of [await decodeAll(plain), await decodeAll(gz), await decodeAll(zst, 'cli'), await decodeAll(zst, 'js')]) {
      assert.equal(bytes.toString('utf8'), text);
    }
  } finally { cleanup(); }
});

test('a file compressed with zstd --long=31 from a pipe (2 GiB window) decodes with both decoders', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = docs(20_000, 'long');
    // Compressing from stdin writes no content size, so the frame declares the full 2 GiB window.
    const zst = writeZstd(join(dir, 'long.jsonl.zst'), text, ['--long=31', '-3']);
    const header = readFileSync(zst);
    assert.equal(header[5]! >> 3, 31 - 10, 'the frame declares windowLog 31');
    assert.equal((await decodeAll(zst, 'cli')).toString('utf8'), text);
    assert.equal((await decodeAll(zst, 'js')).toString('utf8'), text);
  } finally { cleanup(); }
});

test('the JS decoder keeps only as much history as it has produced, not the declared 2 GiB window', { skip: !hasZstdCli && NO_ZSTD }, () => {
  const text = docs(2000, 'hist');
  const r = writeZstdToBuffer(text, ['--long=31']);
  const decoder = new ZstdStreamDecoder();
  decoder.push(r);
  let produced = 0;
  for (let b = decoder.next(); b !== null; b = decoder.next()) produced += b.length;
  decoder.finish();
  assert.equal(produced, Buffer.byteLength(text));
  assert.ok(decoder.historyCapacity() <= Math.max(2 * produced, 1 << 18), `history ${decoder.historyCapacity()} for ${produced} bytes`);
});

test('the JS decoder rejects a window above its limit with a message naming the window', { skip: !hasZstdCli && NO_ZSTD }, () => {
  const r = writeZstdToBuffer(docs(10), ['--long=31']);
  const decoder = new ZstdStreamDecoder(1 << 20);
  decoder.push(r);
  assert.throws(() => decoder.next(), /window size 2147483648 bytes exceeds the limit of 1048576 bytes/);
});

test('resuming at a decoded byte offset skips exactly that many bytes, for every format', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = docs(500);
    const files = [writeText(join(dir, 'r.jsonl'), text), writeGzip(join(dir, 'r.jsonl.gz'), text), writeZstd(join(dir, 'r.jsonl.zst'), text)];
    for (const file of files) {
      for (const [start, zstd] of [[1, 'js'], [777, 'cli'], [Buffer.byteLength(text), 'js']] as const) {
        assert.equal((await decodeAll(file, zstd, start)).toString('latin1'), Buffer.from(text).subarray(start).toString('latin1'), `${file} @${start}`);
      }
    }
  } finally { cleanup(); }
});

test('truncated, corrupt and empty compressed files fail with a DecodeError naming the file', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = docs(4000);
    const gz = writeGzip(join(dir, 't.jsonl.gz'), text);
    const zst = writeZstd(join(dir, 't.jsonl.zst'), text);
    const cut = (file: string) => { const b = readFileSync(file); writeFileSync(file, b.subarray(0, b.length >> 1)); return file; };
    const flipped = writeGzip(join(dir, 'f.jsonl.gz'), text);
    const bytes = readFileSync(flipped);
    for (let i = 100; i < bytes.length - 100; i += 101) bytes[i] ^= 0xff;
    writeFileSync(flipped, bytes);
    const cases: [string, 'cli' | 'js' | undefined][] = [[cut(gz), undefined], [flipped, undefined], [cut(zst), 'cli'], [zst, 'js']];
    const garbage = writeText(join(dir, 'g.jsonl.zst'), Buffer.from('this is not zstd at all, just text\n'));
    cases.push([garbage, 'cli'], [garbage, 'js']);
    const empty = writeText(join(dir, 'e.jsonl.zst'), '');
    cases.push([empty, 'cli'], [empty, 'js']);
    const missing = join(dir, 'missing.jsonl.zst');
    cases.push([missing, 'cli'], [missing, 'js']);
    for (const [file, zstd] of cases) {
      await assert.rejects(decodeAll(file, zstd), (error: unknown) => {
        assert.ok(error instanceof DecodeError, String(error));
        assert.equal(error.file, file);
        assert.match(error.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        return true;
      }, `${file} with ${zstd}`);
    }
  } finally { cleanup(); }
});

test('asking for the CLI decoder when it is missing is a clear error, not a silent fallback', { skip: hasZstdCli && 'the zstd CLI is installed here' }, () => {
  assert.throws(() => openDecoded('x.jsonl.zst', { zstd: 'cli' }), /no zstd executable is on PATH/);
});

function writeZstdToBuffer(text: string, args: string[]): Buffer {
  const { dir, cleanup } = tempDir();
  try { return readFileSync(writeZstd(join(dir, 'x.zst'), text, args)); } finally { cleanup(); }
}

test('the JS decoder matches the input for RLE, raw, compressed, multi-frame and skippable-frame data, whatever the push sizes', { skip: !hasZstdCli && NO_ZSTD }, () => {
  const random = Buffer.alloc(300_000);
  let x = 12345;
  for (let i = 0; i < random.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; random[i] = x >>> 24; }
  const inputs: [string, Buffer, string[]][] = [
    ['zeros (RLE blocks)', Buffer.alloc(1_000_000), []],
    ['random bytes (raw blocks)', random, ['--no-check']],
    ['text at -16', Buffer.from(docs(3000)), ['-16']],
    ['text at --long=31 (2 GiB window)', Buffer.from(docs(3000)), ['-3', '--long=31']],
    ['mixed', Buffer.concat([Buffer.from(docs(500)), random.subarray(0, 50_000), Buffer.alloc(200_000, 7), Buffer.from(docs(500))]), ['-1']],
  ];
  const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('hello')]);
  const frames: Buffer[] = [];
  const expected: Buffer[] = [];
  for (const [, input, args] of inputs) {
    frames.push(compressBytes(input, args), skippable);
    expected.push(input);
  }
  const stream = Buffer.concat(frames);
  for (const pushSize of [1_000_003, 4096, 777]) {
    const decoder = new ZstdStreamDecoder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += pushSize) {
      decoder.push(stream.subarray(i, i + pushSize));
      for (let b = decoder.next(); b !== null; b = decoder.next()) out.push(b);
    }
    decoder.finish();
    assert.ok(Buffer.concat(out).equals(Buffer.concat(expected)), `push size ${pushSize}`);
  }
});

function compressBytes(input: Buffer, args: string[]): Buffer {
  const { dir, cleanup } = tempDir();
  try { return readFileSync(writeZstd(join(dir, 'x.zst'), input, args)); } finally { cleanup(); }
}
