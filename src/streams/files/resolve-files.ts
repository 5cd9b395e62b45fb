import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';

/** File names a directory contributes: JSON Lines, plain or compressed. */
export const JSONL_PATTERN = '**/*.jsonl{,.gz,.zst,.zstd}';

/** Compression suffixes: `x.jsonl`, `x.jsonl.gz`, `x.jsonl.zst`, `x.jsonl.zstd` are one shard. */
const COMPRESSION_SUFFIX = /\.(gz|zst|zstd)$/;

/**
 * Expands paths, directories and globs into a sorted, de-duplicated list of files.
 * Each entry must match something: a typo in a data path fails here, before training starts.
 * The same shard under two compressions (`x.jsonl` and `x.jsonl.zst`) is an error naming both:
 * reading both would train on every document twice, and picking one silently could pick a stale copy.
 */
export function resolveFiles(specs: readonly string[], directoryPattern = JSONL_PATTERN): string[] {
  if (specs.length === 0) throw new Error('files: no paths given');
  const found = new Set<string>();
  for (const spec of specs) {
    const matches = expand(spec, directoryPattern);
    if (matches.length === 0) throw new Error(`files: '${spec}' matches no file`);
    for (const file of matches) found.add(file);
  }
  const files = [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  rejectSameShardTwice(files);
  return files;
}

function rejectSameShardTwice(files: readonly string[]): void {
  const byShard = new Map<string, string>();
  for (const file of files) {
    const shard = file.replace(COMPRESSION_SUFFIX, '');
    const other = byShard.get(shard);
    if (other !== undefined) {
      throw new Error(`files: '${other}' and '${file}' are the same shard under two compressions; ` +
        `every document would be read twice. Select one of them (e.g. a glob such as '*.jsonl.zst') or remove the other.`);
    }
    byShard.set(shard, file);
  }
}

function expand(spec: string, directoryPattern: string): string[] {
  const stat = statSync(spec, { throwIfNoEntry: false });
  if (stat?.isFile()) return [spec];
  if (stat?.isDirectory()) return globSync(directoryPattern, { cwd: spec, onlyFiles: true }).map((f) => join(spec, f));
  // Matches are spelled like the pattern (absolute or relative to cwd): they become provenance.
  if (isDynamicPattern(spec)) return globSync(spec, { onlyFiles: true, absolute: isAbsolute(spec) });
  return [];
}
