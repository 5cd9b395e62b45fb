/**
 * Commit the parts of several tables as one unit, so a reader never finds a step's rows in
 * one table and not yet in another (a kill between two tables' renames used to leave step N
 * complete in `metrics` but only layer 0 in `routing/layers`).
 *
 * Protocol: (1) every part is written under its temp name and fsynced; (2) a manifest naming
 * the group is written atomically — the commit point; (3) the temps are renamed into place;
 * (4) the manifest is removed. After a kill, `recoverPartGroup` finishes step 3 when the
 * manifest exists (roll forward) and otherwise the temps are simply deleted (roll back).
 */
import { access, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { TEMP_SUFFIX, writeFileAtomic } from './atomic-file.js';

/** Manifest of the group being renamed into place; a dotfile, so `*.parquet` globs never match it. */
export const COMMIT_MANIFEST = '.parts-commit.json';

export interface PartFile {
  /** Final path of the part. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

interface Manifest { readonly parts: readonly string[] }

/**
 * Make all `parts` visible together. `beforeRename` (crash tests) runs after each temp file
 * is written and before the group is committed: throwing from it leaves only temp files.
 */
export async function commitPartGroup(runDir: string, parts: readonly PartFile[], beforeRename?: () => void): Promise<void> {
  for (const p of parts) {
    await writeSynced(p.path + TEMP_SUFFIX, p.bytes);
    beforeRename?.();
  }
  const manifest: Manifest = { parts: parts.map((p) => relative(runDir, p.path)) };
  await writeFileAtomic(join(runDir, COMMIT_MANIFEST), Buffer.from(JSON.stringify(manifest)));
  await renameAll(runDir, manifest);
}

/**
 * Finish a group a kill interrupted after its commit point. Call before anything removes
 * temp files. Returns the parts it renamed into place.
 */
export async function recoverPartGroup(runDir: string): Promise<string[]> {
  const path = join(runDir, COMMIT_MANIFEST);
  await rm(path + TEMP_SUFFIX, { force: true }); // a manifest never committed: its group rolls back
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch { return []; }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
    if (!Array.isArray(manifest.parts)) throw new Error('no "parts" list');
  } catch (e) {
    throw new Error(`${path}: unreadable commit manifest (${(e as Error).message}); it is written atomically, so this file was changed by hand`);
  }
  return renameAll(runDir, manifest);
}

async function renameAll(runDir: string, manifest: Manifest): Promise<string[]> {
  const renamed: string[] = [];
  const dirs = new Set<string>();
  for (const rel of manifest.parts) {
    const final = join(runDir, rel);
    // Already renamed before the kill: only the temps that remain still need it.
    if (!(await exists(final + TEMP_SUFFIX))) continue;
    await rename(final + TEMP_SUFFIX, final);
    dirs.add(dirname(final));
    renamed.push(rel);
  }
  for (const d of dirs) await syncDir(d);
  await rm(join(runDir, COMMIT_MANIFEST), { force: true });
  return renamed;
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try { await access(path); return true; } catch { return false; }
}

/** Persist the renames (directory entries); best effort where the filesystem refuses. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // The renames are still atomic.
  } finally {
    await fh?.close();
  }
}
