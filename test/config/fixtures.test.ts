import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from 'fzstd';
import { fixtureShard } from '../../scripts/make-fixtures.js';
import { zstdStored } from '../../scripts/zstd-frame.js';

const dir = join(process.cwd(), 'fixtures/slimpajama');
const DOMAINS = ['RedPajamaArXiv', 'RedPajamaBook', 'RedPajamaC4', 'RedPajamaCommonCrawl', 'RedPajamaGithub', 'RedPajamaStackExchange', 'RedPajamaWikipedia'];

test('the shipped fixtures are SlimPajama-format shards over all 7 domains, and each .zst holds the same bytes as its .jsonl, with a content checksum', () => {
  const shards = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  assert.ok(shards.length >= 2);
  const seen = new Set<string>();
  let bytes = 0;
  for (const f of shards) {
    const jsonl = readFileSync(join(dir, f));
    bytes += jsonl.length;
    const zst = readFileSync(join(dir, `${f}.zst`));
    assert.deepEqual(Buffer.from(decompress(zst)), jsonl, `${f}.zst`);
    assert.equal((zst[4]! >> 2) & 1, 1, `${f}.zst declares a content checksum`);
    jsonl.toString('utf8').trimEnd().split('\n').forEach((line, i) => {
      const doc = JSON.parse(line) as { text: unknown; meta: { redpajama_set_name: unknown } };
      assert.equal(typeof doc.text, 'string', `${f}:${i + 1}`);
      assert.ok((doc.text as string).length > 50, `${f}:${i + 1} has text`);
      seen.add(doc.meta.redpajama_set_name as string);
    });
  }
  assert.deepEqual([...seen].sort(), DOMAINS);
  assert.ok(bytes > 1e6 && bytes < 3e6, `${bytes} bytes of jsonl`);
});

test('the fixture generator is deterministic: it reproduces the shipped shards byte for byte', () => {
  assert.deepEqual(fixtureShard(0), readFileSync(join(dir, 'example_train_0.jsonl')));
});

test('the stored-block zstd fallback writes frames a standard decoder reads, with a content checksum', () => {
  const data = Buffer.from('x'.repeat(300_000) + 'end');
  const frame = zstdStored(data);
  assert.deepEqual(Buffer.from(decompress(frame)), data);
  assert.equal((frame[4]! >> 2) & 1, 1, 'Frame_Header_Descriptor declares a content checksum');
  assert.deepEqual(Buffer.from(decompress(zstdStored(new Uint8Array(0)))), Buffer.alloc(0));
});
