import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Suffix of a part being written; never matched by the `*.parquet` globs readers use. */
export const TEMP_SUFFIX = '.tmp';

/**
 * Write `bytes` so that `path` either does not exist or holds all of them: write a temp
 * file beside it, fsync, then rename (atomic on POSIX filesystems). A crash leaves at
 * most a `*.tmp` file, which `cleanTemps` removes on resume.
 * `beforeRename` exists for crash tests: throwing from it simulates dying mid-part.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, beforeRename?: () => void): Promise<void> {
  const tmp = path + TEMP_SUFFIX;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  beforeRename?.(); // a throw leaves the temp file behind, exactly as a real crash would
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/**
 * Several files, each written as `writeFileAtomic` writes one, but all at once: the temp files
 * are written and fsynced concurrently (the disk flushes overlap instead of queueing one after
 * another), then renamed, then each directory is synced once. Each file on its own is atomic;
 * the set is not (a crash may leave some renamed and some still `*.tmp`). When a file cannot be
 * written, none is renamed and the temp files are removed.
 */
export async function writeFilesAtomic(files: readonly { readonly path: string; readonly bytes: Uint8Array }[]): Promise<void> {
  const written = await Promise.allSettled(files.map(async ({ path, bytes }) => {
    const fh = await open(path + TEMP_SUFFIX, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }));
  const failed = written.find((w) => w.status === 'rejected');
  if (failed) {
    // Nothing is renamed when one file fails: the others' temp files are removed, not left behind.
    await Promise.all(files.map(({ path }) => rm(path + TEMP_SUFFIX, { force: true })));
    throw failed.reason;
  }
  await Promise.all(files.map(({ path }) => rename(path + TEMP_SUFFIX, path)));
  await Promise.all([...new Set(files.map(({ path }) => dirname(path)))].map(syncDir));
}

/** Persist the rename itself (the directory entry) against power loss; best effort where unsupported. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories: the rename is still atomic.
  } finally {
    await fh?.close();
  }
}

export async function removeIfExists(path: string): Promise<void> {
  await rm(path, { force: true });
}
