import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveFiles } from '../../src/streams/files/resolve-files.js';
import { tempDir, writeText } from './support/fixtures.js';

test('paths, directories and globs expand to one sorted list without duplicates', () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'chunk1', 'sub'), { recursive: true });
    mkdirSync(join(dir, 'chunk2'));
    const a = writeText(join(dir, 'chunk1', 'b.jsonl.zst'), '');
    const b = writeText(join(dir, 'chunk1', 'sub', 'a.jsonl'), '');
    const c = writeText(join(dir, 'chunk2', 'c.jsonl.gz'), '');
    writeText(join(dir, 'chunk1', 'notes.txt'), '');
    const files = resolveFiles([join(dir, 'chunk1'), join(dir, 'chunk2', '*.gz'), a]);
    assert.deepEqual(files, [a, b, c].sort());
    const relative = resolveFiles(['test/streams/*.ts']);
    assert.ok(relative.includes('test/streams/resolve-files.test.ts'), 'a relative glob gives paths relative to the working directory');
  } finally { cleanup(); }
});

test('an entry that matches nothing is named in the error', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeText(join(dir, 'x.jsonl'), '');
    assert.throws(() => resolveFiles([join(dir, 'x.jsonl'), join(dir, 'typo*.jsonl')]), /typo\*\.jsonl' matches no file/);
    assert.throws(() => resolveFiles([]), /no paths given/);
  } finally { cleanup(); }
});

test('the same shard under two compressions is an error naming both files, not read twice', () => {
  const { dir, cleanup } = tempDir();
  try {
    const plain = writeText(join(dir, 'x.jsonl'), '');
    const zst = writeText(join(dir, 'x.jsonl.zst'), '');
    writeText(join(dir, 'y.jsonl.gz'), '');
    for (const specs of [[dir], [plain, zst], [join(dir, 'x.*')]]) {
      assert.throws(() => resolveFiles(specs), (e: Error) => e.message.includes(`'${plain}'`) && e.message.includes(`'${zst}'`) && /same shard/.test(e.message), String(specs));
    }
    assert.deepEqual(resolveFiles([join(dir, '*.zst'), join(dir, '*.gz')]), [zst, join(dir, 'y.jsonl.gz')], 'one compression of each shard is fine');
  } finally { cleanup(); }
});

test('the shipped fixtures folder holds each shard twice, so reading the folder is refused; its .zst glob reads each shard once', () => {
  assert.throws(() => resolveFiles(['fixtures/slimpajama']), /example_train_0\.jsonl' and '.*example_train_0\.jsonl\.zst' are the same shard/);
  assert.equal(resolveFiles(['fixtures/slimpajama/*.jsonl.zst']).length, 3);
});
