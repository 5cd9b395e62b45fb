/**
 * The layering of ARCHITECTURE.md §6, read from the imports of every file under src/:
 * folders depend downward only (cli → ops/sinks → models/streams → base), src/models knows
 * nothing of the data plane, and the data plane reaches TensorFlow.js code only through
 * type imports (erased at build, so the `moeflow` entry never loads TensorFlow.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** For each top-level folder of src/: the folders it may import at run time, and those it may import types from. */
const ALLOWED: Record<string, { runtime: string[]; types?: string[] }> = {
  base: { runtime: [] },
  vendor: { runtime: [] },
  streams: { runtime: ['base', 'vendor'] },
  tokenizer: { runtime: ['base', 'streams'] },
  models: { runtime: ['base'] },
  ops: { runtime: ['base', 'streams', 'tokenizer'], types: ['models'] },
  events: { runtime: ['base'], types: ['streams', 'models'] },
  sinks: { runtime: ['base', 'events'], types: ['streams', 'models', 'ops', 'eval'] },
  // The pipeline schema is assembled from the operator registry (data.flow), as routers come from the router registry.
  config: { runtime: ['base', 'ops'], types: ['models'] },
  // Routing analysis: pure functions over routes, no TensorFlow.js; the CLI runs the probe passes.
  analysis: { runtime: ['base'], types: ['sinks', 'eval', 'models'] },
  eval: { runtime: ['base', 'streams', 'tokenizer', 'ops', 'sinks', 'events', 'models', 'config'] },
  cli: { runtime: ['base', 'streams', 'tokenizer', 'ops', 'sinks', 'events', 'models', 'config', 'eval', 'analysis'] },
  '(entry)': { runtime: ['base', 'streams', 'tokenizer', 'ops', 'sinks', 'events', 'config'], types: ['models'] },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `src/a/b.ts` → 'a'; files directly in src/ (the library entry) → '(entry)'. */
function folderOf(srcRelative: string): string {
  const parts = srcRelative.split('/');
  return parts.length === 1 ? '(entry)' : parts[0]!;
}

interface Edge { readonly file: string; readonly from: string; readonly to: string; readonly typeOnly: boolean }

function edges(): Edge[] {
  const out: Edge[] = [];
  const importRe = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/gm;
  for (const file of sourceFiles('src')) {
    const from = folderOf(relative('src', file));
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const spec = m[3] ?? m[4]!;
      const target = normalize(join(dirname(file), spec));
      if (!target.startsWith('src/')) continue;
      const to = folderOf(relative('src', target));
      if (to !== from) out.push({ file, from, to, typeOnly: m[2] !== undefined });
    }
  }
  return out;
}

test('every folder of src/ is known to the layering rule', () => {
  const folders = new Set(sourceFiles('src').map((f) => folderOf(relative('src', f))));
  for (const f of folders) assert.ok(ALLOWED[f], `src/${f}/ has no entry in the layering rule (test/architecture.test.ts): decide where it sits`);
});

test('folders import only the folders below them (types from models are allowed where noted)', () => {
  const wrong = edges().filter((e) => {
    const rule = ALLOWED[e.from];
    if (!rule) return false;
    return !(rule.runtime.includes(e.to) || (e.typeOnly && rule.types?.includes(e.to)));
  }).map((e) => `${e.file} imports ${e.typeOnly ? 'types from ' : ''}src/${e.to}/`);
  assert.deepEqual(wrong, []);
});

test('src/models and src/streams do not know each other (shared base types live in src/base)', () => {
  const crossing = edges().filter((e) => (e.from === 'models' && e.to === 'streams') || (e.from === 'streams' && e.to === 'models'));
  assert.deepEqual(crossing.map((e) => e.file), []);
});

test('TensorFlow.js is imported only under src/models', () => {
  const outside = sourceFiles('src').filter((f) => !f.startsWith('src/models/') && /from '@tensorflow\//.test(readFileSync(f, 'utf8')));
  assert.deepEqual(outside, []);
});
