import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { llava } from '../../src/streams/llava/llava.js';
import type { ImageTextRecord } from '../../src/streams/llava/image-text-record.js';
import type { ReadCounts } from '../../src/streams/slimpajama/source-stats.js';
import { drain, sharedPath, tempDir, writeGzip, writeText } from './support/fixtures.js';
import { assertResumes } from './support/resume.js';

/** A valid LLaVA record; `image` undefined makes it text-only. */
function rec(id: string, image: string | undefined, turns = 1): object {
  const conversations: object[] = [];
  for (let t = 0; t < turns; t++) {
    conversations.push({ from: 'human', value: t === 0 && image ? `Question ${t} about ${id}?\n<image>` : `Question ${t} about ${id}?` });
    conversations.push({ from: 'gpt', value: `Answer ${t} for ${id}.` });
  }
  return image === undefined ? { id, conversations } : { id, image, conversations };
}

/** A folder with images a.png, b.jpg (any non-empty bytes: the source only stats them). */
function imageRoot(dir: string): string {
  const root = join(dir, 'images');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeText(join(root, 'a.png'), 'not really a png');
  writeText(join(root, 'sub', 'b.jpg'), 'not really a jpeg');
  return root;
}

const ids = (records: ImageTextRecord[]) => records.map((r) => r.provenance.id);

test('reads a .json array and a .jsonl file: validated records with provenance (file, record index, id) and modality', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = imageRoot(dir);
    const json = writeText(join(dir, 'a.json'), JSON.stringify([rec('j0', 'a.png'), rec('j1', undefined), rec('j2', 'sub/b.jpg', 2)], null, 2));
    const jsonl = writeText(join(dir, 'b.jsonl'), [rec('l0', undefined), rec('l1', 'a.png')].map((r) => JSON.stringify(r)).join('\n') + '\n\n');
    const stage = llava({ files: [json, jsonl], imageRoot: root, shuffleFiles: false })();
    const records = await drain(stage);
    assert.deepEqual(ids(records), ['j0', 'l0', 'j1', 'l1', 'j2'], 'partitions 0 (a.json) and 1 (b.jsonl) interleave record by record');
    const j2 = records[4]!;
    assert.deepEqual(j2.provenance, { file: json, record: 2, id: 'j2' });
    assert.equal(j2.modality, 'image');
    assert.equal(j2.image, join(root, 'sub/b.jpg'));
    assert.equal(j2.conversations.length, 4);
    assert.deepEqual(records[1]!, { modality: 'text', conversations: (rec('l0', undefined) as { conversations: unknown }).conversations, provenance: { file: jsonl, record: 0, id: 'l0' } });
    const stats = stage.stats!() as unknown as ReadCounts & { usedByDomain: Record<string, number> };
    assert.equal(stats.read, 5);
    assert.equal(stats.used, 5);
    assert.equal(stats.blankLines, 1);
    assert.deepEqual(stats.usedByDomain, { image: 3, text: 2 }, 'the domain of a LLaVA record is its modality');
  } finally { cleanup(); }
});

test('resumes exactly from any position, over .json, .jsonl and .jsonl.gz files in several partitions', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = imageRoot(dir);
    const files: string[] = [];
    for (let f = 0; f < 4; f++) {
      const records = Array.from({ length: 5 + f }, (_, i) => rec(`f${f}r${i}`, i % 3 === 0 ? undefined : 'a.png', 1 + (i % 2)));
      if (f % 3 === 0) files.push(writeText(join(dir, `part${f}.json`), JSON.stringify(records)));
      else if (f % 3 === 1) files.push(writeText(join(dir, `part${f}.jsonl`), records.map((r) => JSON.stringify(r)).join('\n')));
      else files.push(writeGzip(join(dir, `part${f}.jsonl.gz`), records.map((r) => JSON.stringify(r)).join('\n') + '\n'));
    }
    const flow = llava({ files: dir, imageRoot: root, partitions: 3, seed: 7 });
    const all = await assertResumes(flow, [[0, 1], [1, 1], [3, 7], [10, 5], [20, 1], [25, 0]], 'llava');
    assert.equal(all.length, 5 + 6 + 7 + 8);
  } finally { cleanup(); }
});

test('shards by rank and world size: consumers are disjoint, cover every record, and each resumes exactly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = imageRoot(dir);
    for (let f = 0; f < 3; f++) {
      writeText(join(dir, `s${f}.json`), JSON.stringify(Array.from({ length: 7 }, (_, i) => rec(`s${f}-${i}`, i % 2 ? 'a.png' : undefined))));
    }
    const whole = ids(await drain(llava({ files: dir, imageRoot: root })()));
    assert.equal(whole.length, 21);
    for (const worldSize of [2, 3]) {
      const parts: (string | undefined)[][] = [];
      for (let rank = 0; rank < worldSize; rank++) {
        const flow = llava({ files: dir, imageRoot: root, rank, worldSize });
        parts.push(ids(await assertResumes(flow, [[2, 3]], `rank ${rank}/${worldSize}`)));
      }
      // Rank r holds global slots r, r + W, r + 2W, …
      parts.forEach((got, rank) => assert.deepEqual(got, whole.filter((_, g) => g % worldSize === rank), `rank ${rank} of ${worldSize}`));
    }
  } finally { cleanup(); }
});

test('a state from another file list, seed or consumer is refused with a clear error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = imageRoot(dir);
    const file = writeText(join(dir, 'x.json'), JSON.stringify([rec('a', undefined), rec('b', undefined)]));
    const stage = llava({ files: file, imageRoot: root })();
    await drain(stage, 1);
    const state = stage.state();
    assert.throws(() => llava({ files: file, imageRoot: root, seed: 1 })(state), /different file list, seed/);
    assert.throws(() => llava({ files: file, imageRoot: root, rank: 1, worldSize: 2 })(state), /consumer 0 of 1, not 1 of 2/);
    assert.throws(() => llava({ files: file, imageRoot: root })({ slot: 'x' }), /not a llava state/);
  } finally { cleanup(); }
});

test('reads the shared LLaVA-Bench sample with its images (skips when ../shared is absent)', async (t) => {
  const file = sharedPath('data', 'llava', 'llava_bench_subset.json');
  const images = sharedPath('data', 'llava', 'images');
  if (!existsSync(file) || !existsSync(images)) { t.skip(`shared LLaVA sample not found at ${file}`); return; }
  const expected = JSON.parse(readFileSync(file, 'utf8')) as { id: string }[];
  const stage = llava({ files: file, imageRoot: images })();
  const records = await drain(stage);
  assert.deepEqual(ids(records), expected.map((r) => r.id));
  assert.ok(records.every((r) => r.modality === 'image' && existsSync(r.image!)));
});
