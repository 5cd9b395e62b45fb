import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { llava } from '../../src/streams/llava/llava.js';
import type { ReadCounts } from '../../src/streams/slimpajama/source-stats.js';
import { drain, tempDir, writeText } from './support/fixtures.js';

const human = (value: string) => ({ from: 'human', value });
const gpt = (value: string) => ({ from: 'gpt', value });
const good = (id: string) => ({ id, image: 'ok.jpg', conversations: [human('<image>\nWhat is it?'), gpt('A cat.')] });

/** Each bad record of issue 9 and the reason it is refused with. */
const badRecords: [object | string, string][] = [
  [{ id: 'missing', image: 'nowhere.jpg', conversations: [human('<image>\nQ'), gpt('A')] }, 'missing_image'],
  [{ id: 'zero', image: 'zero.jpg', conversations: [human('<image>\nQ'), gpt('A')] }, 'empty_image'],
  [{ id: 'no-token', image: 'ok.jpg', conversations: [human('Q'), gpt('A')] }, 'image_without_token'],
  [{ id: 'two-tokens', image: 'ok.jpg', conversations: [human('<image>\nQ <image>'), gpt('A')] }, 'multiple_image_tokens'],
  [{ id: 'two-tokens-over-turns', image: 'ok.jpg', conversations: [human('<image>\nQ'), gpt('A'), human('<image> again'), gpt('B')] }, 'multiple_image_tokens'],
  [{ id: 'empty', image: 'ok.jpg', conversations: [] }, 'empty_conversations'],
  [{ id: 'gpt-first', conversations: [gpt('A'), human('Q')] }, 'roles_out_of_order'],
  [{ id: 'two-humans', conversations: [human('Q'), human('Q2'), gpt('A'), gpt('A2')] }, 'roles_out_of_order'],
  [{ id: 'unanswered', conversations: [human('Q'), gpt('A'), human('Q2')] }, 'roles_out_of_order'],
  [{ id: 'system-role', conversations: [{ from: 'system', value: 'S' }, human('Q'), gpt('A')] }, 'roles_out_of_order'],
  [{ id: 'list', image: ['ok.jpg', 'ok.jpg'], conversations: [human('<image>\nQ'), gpt('A')] }, 'image_list'],
  [{ id: 'one-in-list', image: ['ok.jpg'], conversations: [human('<image>\nQ'), gpt('A')] }, 'image_list'],
  [{ id: 'number-image', image: 7, conversations: [human('<image>\nQ'), gpt('A')] }, 'image_not_string'],
  [{ id: 'token-no-image', conversations: [human('<image>\nQ'), gpt('A')] }, 'image_token_without_image'],
  [{ id: 'no-conversations', image: 'ok.jpg' }, 'missing_conversations'],
  [{ id: 'bad-turn', conversations: [{ from: 'human' }, gpt('A')] }, 'bad_turn'],
  [[1, 2], 'not_an_object'],
];

function setUp(dir: string) {
  const root = join(dir, 'img');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'ok.jpg'), 'bytes');
  writeText(join(root, 'zero.jpg'), '');
  // good, bad 0, good, bad 1, …, good
  const records: unknown[] = [];
  badRecords.forEach(([bad], i) => { records.push(good(`good-${i}`), bad); });
  records.push(good('good-last'));
  const json = writeText(join(dir, 'mixed.json'), JSON.stringify(records, null, 1));
  const jsonl = writeText(join(dir, 'mixed.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n{"id": "x", "conversa\n{"id": "cut", "conv');
  return { root, json, jsonl, goodCount: badRecords.length + 1 };
}

function assertReconciles(counts: ReadCounts<string>): void {
  assert.equal(counts.read, counts.used + counts.skipped);
  assert.equal(counts.skipped, Object.values(counts.skippedByReason).reduce<number>((a, b) => a + (b ?? 0), 0));
}

test('under onError "fail" each bad record throws, naming file, record index, id and reason', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { root } = setUp(dir);
    for (const [k, [bad, reason]] of badRecords.entries()) {
      const file = writeText(join(dir, `one-${k}.json`), JSON.stringify([good('first'), bad]));
      const stage = llava({ files: file, imageRoot: root })();
      const seen: string[] = [];
      await assert.rejects(async () => { for await (const r of stage) seen.push(r.provenance.id!); }, (error: Error) => {
        assert.ok(error.message.startsWith(`${file}: record 1 (byte `), error.message);
        assert.ok(error.message.includes(`: ${reason}: `), `${reason}: ${error.message}`);
        const id = (bad as { id?: string }).id;
        if (id !== undefined) assert.ok(error.message.includes(`(id ${id})`), error.message);
        return true;
      });
      assert.deepEqual(seen, ['first'], 'the good record before it was delivered');
      assert.throws(() => stage.state(), /no resumable state after a failure/);
    }
  } finally { cleanup(); }
});

test('under onError "skip" every bad record is counted by reason, per file, and read = used + skipped', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { root, json, jsonl, goodCount } = setUp(dir);
    const expected: Record<string, number> = {};
    for (const [, reason] of badRecords) expected[reason] = (expected[reason] ?? 0) + 1;
    for (const file of [json, jsonl]) {
      const stage = llava({ files: file, imageRoot: root, onError: 'skip' })();
      const records = await drain(stage);
      assert.equal(records.length, goodCount);
      assert.ok(records.every((r) => r.provenance.id!.startsWith('good-')));
      const stats = stage.stats!() as unknown as ReadCounts<string> & { byFile: Record<string, ReadCounts<string>> };
      const want = file === jsonl ? { ...expected, invalid_json: 1, truncated_record: 1 } : expected;
      assert.deepEqual(stats.skippedByReason, want, file);
      assertReconciles(stats);
      assertReconciles(stats.byFile[file]!);
      assert.equal(stats.used, goodCount);
    }
  } finally { cleanup(); }
});

test('whole-file problems take one slot each: not an array, a truncated array, an empty file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = join(dir, 'img');
    mkdirSync(root);
    writeText(join(root, 'ok.jpg'), 'bytes');
    const files = {
      object: writeText(join(dir, 'a-object.json'), JSON.stringify(good('obj'))),
      truncated: writeText(join(dir, 'b-truncated.json'), JSON.stringify([good('t0'), good('t1')]).slice(0, -20)),
      empty: writeText(join(dir, 'c-empty.json'), ''),
      emptyLines: writeText(join(dir, 'd-empty.jsonl'), ''),
    };
    const stage = llava({ files: dir, imageRoot: root, onError: 'skip', shuffleFiles: false, partitions: 1 })();
    const records = await drain(stage);
    assert.deepEqual(records.map((r) => r.provenance.id), ['t0']);
    const stats = stage.stats!() as unknown as ReadCounts<string> & { byFile: Record<string, ReadCounts<string>> };
    assert.deepEqual(stats.skippedByReason, { not_an_array: 1, truncated_array: 1, empty_file: 2 });
    assert.deepEqual(stats.byFile[files.truncated]!.skippedByReason, { truncated_array: 1 });
    assertReconciles(stats);

    await assert.rejects(drain(llava({ files: files.truncated, imageRoot: root })()),
      new RegExp(`^Error: ${files.truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record 1: truncated_array: the file ends inside array element 1 \\(byte \\d+\\)$`));
  } finally { cleanup(); }
});

test('with checkImages false the source does not stat images (the image operator reports them)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeText(join(dir, 'x.json'), JSON.stringify([badRecords[0]![0]]));
    const records = await drain(llava({ files: file, imageRoot: join(dir, 'nowhere'), checkImages: false })());
    assert.equal(records[0]!.image, join(dir, 'nowhere', 'nowhere.jpg'));
  } finally { cleanup(); }
});
