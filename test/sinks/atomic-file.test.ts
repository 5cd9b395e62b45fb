/**
 * Atomic file writes: a file written with writeFileAtomic or writeFilesAtomic holds exactly the
 * bytes given, replaces what was there, and leaves no temp file behind.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic, writeFilesAtomic } from '../../src/sinks/atomic-file.js';

test('writeFilesAtomic writes every file with its bytes, replacing old contents, in one or several directories, without temp files left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-atomic-'));
  try {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'a.parquet'), 'old contents, longer than the new ones');
    const files = [
      { path: join(dir, 'a.parquet'), bytes: Buffer.from('alpha') },
      { path: join(dir, 'b.md'), bytes: Buffer.from('# beta\n') },
      { path: join(dir, 'sub', 'c.bin'), bytes: new Uint8Array([0, 1, 2, 255]) },
    ];
    await writeFilesAtomic(files);
    for (const f of files) assert.deepEqual(new Uint8Array(await readFile(f.path)), new Uint8Array(f.bytes));
    assert.deepEqual((await readdir(dir)).sort(), ['a.parquet', 'b.md', 'sub']);
    assert.deepEqual(await readdir(join(dir, 'sub')), ['c.bin']);
    await writeFilesAtomic([]);
    await writeFileAtomic(join(dir, 'b.md'), Buffer.from('gamma'));
    assert.equal(await readFile(join(dir, 'b.md'), 'utf8'), 'gamma');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFilesAtomic rejects when a file cannot be written (its directory is missing), renaming none and leaving no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-atomic-'));
  try {
    await assert.rejects(writeFilesAtomic([{ path: join(dir, 'ok.txt'), bytes: Buffer.from('x') }, { path: join(dir, 'missing', 'y.txt'), bytes: Buffer.from('y') }]), /ENOENT/);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
