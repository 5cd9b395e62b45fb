import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Xxh64, xxh64 } from '../../src/streams/zstd/xxh64.js';
import { NO_ZSTD, hasZstdCli } from './support/fixtures.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bytes that are not a repeating pattern, so lanes and tails all differ. */
function noise(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (Math.imul(i + 1, 2654435761) >>> 13) & 0xff;
  return out;
}

test('XXH64 matches the reference digests (seed 0, the one zstd uses)', () => {
  // Well-known reference digests (xxHash's sanity vectors); the zstd test below checks longer inputs.
  assert.equal(xxh64(utf8('')), 0xef46db3751d8e999n);
  assert.equal(xxh64(utf8('a')), 0xd24ec4f1a98c6e5bn);
  assert.equal(xxh64(utf8('abc')), 0x44bc2cf5ad770999n);
  assert.equal(xxh64(utf8('Nobody inspects the spammish repetition')), 0xfbcea83c8a378bf1n);
});

test('XXH64 fed in pieces of any size equals XXH64 of the whole', () => {
  const data = noise(10_007);
  const whole = xxh64(data);
  for (const piece of [1, 3, 31, 32, 33, 4096]) {
    const h = new Xxh64();
    for (let p = 0; p < data.length; p += piece) h.update(data.subarray(p, p + piece));
    assert.equal(h.digest(), whole, `pieces of ${piece}`);
  }
});

test('the low 32 bits of XXH64 are the content checksum zstd stores at the end of a frame', { skip: !hasZstdCli && NO_ZSTD }, () => {
  for (const length of [0, 5, 31, 32, 100, 1 << 20]) {
    const data = noise(length);
    const frame = spawnSync('zstd', ['-q', '-c', '--check'], { input: data }).stdout;
    assert.equal(frame.readUInt32LE(frame.length - 4), Number(xxh64(data) & 0xffffffffn), `${length} bytes`);
  }
});
