import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';

/** File names a directory contributes: JSON Lines, plain or compressed. */
export const JSONL_PATTERN = '**/*.jsonl{,.gz,.zst,.zstd}';

/**
 * Expands paths, directories and globs into a sorted, de-duplicated list of files.
 * Each entry must match something: a typo in a data path fails here, before training starts.
 */
export function resolveFiles(specs: readonly string[], directoryPattern = JSONL_PATTERN): string[] {
  if (specs.length === 0) throw new Error('files: no paths given');
  const found = new Set<string>();
  for (const spec of specs) {
    const matches = expand(spec, directoryPattern);
    if (matches.length === 0) throw new Error(`files: '${spec}' matches no file`);
    for (const file of matches) found.add(file);
  }
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function expand(spec: string, directoryPattern: string): string[] {
  const stat = statSync(spec, { throwIfNoEntry: false });
  if (stat?.isFile()) return [spec];
  if (stat?.isDirectory()) return globSync(directoryPattern, { cwd: spec, onlyFiles: true }).map((f) => join(spec, f));
  // Matches are spelled like the pattern (absolute or relative to cwd): they become provenance.
  if (isDynamicPattern(spec)) return globSync(spec, { onlyFiles: true, absolute: isAbsolute(spec) });
  return [];
}
