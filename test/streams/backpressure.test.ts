import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { openDecoded } from '../../src/streams/decode/open-decoded.js';
import { slimPajama } from '../../src/streams/slimpajama/slimpajama.js';
import { NO_ZSTD, docs, hasZstdCli, tempDir, writeZstd } from './support/fixtures.js';

/**
 * A .zst file whose decoded size is `frames` × the size of one ~1 MiB frame: zstd files may hold
 * concatenated frames, so repeating one frame makes a multi-hundred-MB stream from a small file.
 */
function bigZstd(dir: string, frames: number): { file: string; frameBytes: number; frameDocs: number } {
  // ~1 MiB of 4 KiB documents, about the size of a real SlimPajama document.
  const frameDocs = 256;
  const text = docs(frameDocs, 'x'.repeat(4000));
  const one = readFileSync(writeZstd(join(dir, 'one.zst'), text));
  const file = join(dir, 'big.jsonl.zst');
  writeFileSync(file, Buffer.concat(Array.from({ length: frames }, () => one)));
  return { file, frameBytes: Buffer.byteLength(text), frameDocs };
}

/** The same for gzip: a .gz file may hold concatenated members. */
function bigGzip(dir: string, members: number): { file: string; frameBytes: number } {
  const text = docs(256, 'x'.repeat(4000));
  const one = gzipSync(text);
  const file = join(dir, 'big.jsonl.gz');
  writeFileSync(file, Buffer.concat(Array.from({ length: members }, () => one)));
  return { file, frameBytes: Buffer.byteLength(text) };
}

for (const [zstd, frames] of [['cli', 256], ['js', 64], ['gzip', 64]] as const) {
  test(`a slow consumer keeps the ${zstd} decoder's buffered bytes bounded (${frames} MiB stream)`, { skip: zstd !== 'gzip' && !hasZstdCli && NO_ZSTD }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { file, frameBytes } = zstd === 'gzip' ? bigGzip(dir, frames) : bigZstd(dir, frames);
      const bound = zstd === 'cli' ? 256 * 1024 : 512 * 1024;
      const bytes = openDecoded(file, { zstd: zstd === 'gzip' ? undefined : zstd });
      let total = 0;
      let chunks = 0;
      let maxBuffered = 0;
      for await (const chunk of bytes) {
        total += chunk.length;
        chunks++;
        // Stall now and then so the producer has every chance to run ahead.
        if (chunks % 500 === 0) {
          await sleep(5);
          maxBuffered = Math.max(maxBuffered, bytes.bufferedBytes());
        }
      }
      assert.equal(total, frames * frameBytes);
      // The CLI runs in another process: the stalls let it fill the pipe, so something must be buffered.
      if (zstd === 'cli') assert.ok(maxBuffered > 0, 'the producer ran ahead during the stalls (else this test measures nothing)');
      assert.ok(maxBuffered <= bound, `buffered ${maxBuffered} bytes > ${bound}`);
    } finally { cleanup(); }
  });
}

test('reading a 256 MiB zstd stream through the source keeps RSS far below the stream size', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const frames = 256;
    const { file, frameBytes, frameDocs } = bigZstd(dir, frames);
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let records = 0;
    for await (const record of slimPajama({ files: [file], decoder: 'cli' })()) {
      records++;
      if (record.text.length === 0) assert.fail('empty text');
      if (records % 2000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    assert.equal(records, frames * frameDocs);
    const growth = peak - before;
    assert.ok(growth < 128 * 2 ** 20, `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB while ${(frames * frameBytes / 2 ** 20).toFixed(0)} MiB streamed`);
  } finally { cleanup(); }
});
