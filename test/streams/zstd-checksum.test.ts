import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDecoded } from '../../src/streams/decode/open-decoded.js';
import { ZstdStreamDecoder } from '../../src/streams/zstd/zstd-stream-decoder.js';
import { zstdStored } from '../../scripts/zstd-frame.js';
import { NO_ZSTD, hasZstdCli, tempDir, writeZstd } from './support/fixtures.js';

const FIXTURE = join(process.cwd(), 'fixtures/slimpajama/example_train_1.jsonl');

async function decodeAll(file: string, zstd: 'cli' | 'js'): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of openDecoded(file, { zstd })) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Whether the frame at the start of `zst` declares a content checksum (Frame_Header_Descriptor bit 2). */
const hasChecksum = (zst: Buffer): boolean => ((zst[4]! >> 2) & 1) === 1;

/**
 * A copy of `zst` with one byte flipped such that the frame still decodes structurally but to
 * different text: only the checksum can tell. Found by trying positions from the middle on
 * (most flipped bits in Huffman-coded literals just change a literal).
 */
function flipUnnoticedByStructure(zst: Buffer): Buffer {
  for (let i = zst.length >> 1; i < zst.length - 8; i++) {
    const copy = Buffer.from(zst);
    copy[i] ^= 0x01;
    const decoder = new ZstdStreamDecoder();
    decoder.push(copy);
    try {
      while (decoder.next() !== null) { /* decode everything */ }
      decoder.finish();
    } catch (error) {
      if (/checksum mismatch/.test((error as Error).message)) return copy;
    }
  }
  throw new Error('no byte flip that only the checksum detects');
}

const decoders = hasZstdCli ? (['cli', 'js'] as const) : (['js'] as const);

test('every shipped .zst fixture carries a content checksum and decodes, with both decoders, to its .jsonl', async () => {
  for (const shard of [0, 1, 2]) {
    const jsonl = join(process.cwd(), `fixtures/slimpajama/example_train_${shard}.jsonl`);
    assert.ok(hasChecksum(readFileSync(`${jsonl}.zst`)), `${jsonl}.zst declares a checksum`);
    for (const d of decoders) assert.deepEqual(await decodeAll(`${jsonl}.zst`, d), readFileSync(jsonl), `${d} decoder`);
  }
});

test('a fixture with one flipped byte that changes its text fails in both decoders, naming the file', async (t) => {
  if (!hasZstdCli) t.diagnostic(`only the js decoder is checked: ${NO_ZSTD}`);
  const { dir, cleanup } = tempDir();
  try {
    const bad = join(dir, 'flipped.jsonl.zst');
    writeFileSync(bad, flipUnnoticedByStructure(readFileSync(`${FIXTURE}.zst`)));
    for (const d of decoders) {
      await assert.rejects(decodeAll(bad, d), (e: Error) => e.message.startsWith(`${bad}: zstd-${d} could not decode the file`) && /checksum/i.test(e.message), `${d} decoder`);
    }
  } finally { cleanup(); }
});

test('a stored (uncompressed) frame with a changed content byte fails on its checksum; untouched it decodes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = Buffer.from('{"text":"hello world"}\n'.repeat(10_000));
    const good = join(dir, 'good.jsonl.zst');
    writeFileSync(good, zstdStored(text));
    const bad = join(dir, 'bad.jsonl.zst');
    copyFileSync(good, bad);
    const bytes = readFileSync(bad);
    bytes[100_000] = 'H'.charCodeAt(0) === bytes[100_000] ? 'h'.charCodeAt(0) : 'H'.charCodeAt(0); // raw block: the byte is the text
    writeFileSync(bad, bytes);
    for (const d of decoders) {
      assert.deepEqual(await decodeAll(good, d), text, `${d} decoder`);
      await assert.rejects(decodeAll(bad, d), (e: Error) => e.message.startsWith(`${bad}: zstd-${d}`) && /checksum/i.test(e.message), `${d} decoder`);
    }
  } finally { cleanup(); }
});

test('a frame without a checksum still decodes with the js decoder (the checksum is optional)', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = readFileSync(FIXTURE);
    const file = writeZstd(join(dir, 'nocheck.jsonl.zst'), text, ['--no-check']);
    assert.ok(!hasChecksum(readFileSync(file)));
    assert.deepEqual(await decodeAll(file, 'js'), text);
  } finally { cleanup(); }
});
