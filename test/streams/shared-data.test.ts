import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { slimPajama, type TextRecord } from '../../src/streams/slimpajama/slimpajama.js';
import { drain, hasZstdCli, sharedPath } from './support/fixtures.js';

const plain = sharedPath('data', 'slimpajama', 'example_shared_0.jsonl');
const zst = `${plain}.zst`;
const manifest = sharedPath('data', 'slimpajama', 'DOCS_MANIFEST.jsonl');
const absent = !existsSync(plain) || !existsSync(zst) ? `shared data not found at ${plain}(.zst): CI has no ../shared here` : false;

const read = async (file: string, decoder: 'cli' | 'js') =>
  drain(slimPajama({ files: [file], decoder, shuffleFiles: false }) ());

test('the shared SlimPajama sample gives 116 records over 7 domains, identical from .jsonl and .jsonl.zst', { skip: absent }, async () => {
  const fromPlain = await read(plain, 'js');
  assert.equal(fromPlain.length, 116);
  assert.equal(new Set(fromPlain.map((r) => r.domain)).size, 7);
  const strip = (rs: TextRecord[]) => rs.map((r) => [r.text, r.domain, r.provenance.line]);
  assert.deepEqual(strip(await read(zst, 'js')), strip(fromPlain));
  if (hasZstdCli) assert.deepEqual(strip(await read(zst, 'cli')), strip(fromPlain));
});

test('each record matches the sample manifest: domain and text length in code points', { skip: absent || (!existsSync(manifest) && 'no manifest') }, async () => {
  const rows = readFileSync(manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; redpajama_set_name: string; chars: number });
  const records = await read(plain, 'js');
  for (const row of rows) {
    const record = records[row.line]!;
    assert.equal(record.provenance.line, row.line + 1);
    assert.equal(record.domain, row.redpajama_set_name);
    assert.equal([...record.text].length, row.chars, `line ${row.line + 1}`);
  }
});
