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
