import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zstdCliAvailable } from '../../../src/streams/decode/zstd-cli.js';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-sources-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { drain } from '../../support/drain.js';

/** `count` SlimPajama-shaped lines, domains cycling through `domains`. */
export function docs(count: number, prefix = 'doc', domains = ['RedPajamaC4', 'RedPajamaGithub', 'RedPajamaBook']): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += JSON.stringify({ text: `${prefix} ${i} ${'lorem ipsum '.repeat(i % 7)}`, meta: { redpajama_set_name: domains[i % domains.length] } }) + '\n';
  }
  return out;
}

export function writeText(path: string, text: string | Buffer): string {
  writeFileSync(path, text);
  return path;
}

export function writeGzip(path: string, text: string | Buffer): string {
  writeFileSync(path, gzipSync(text));
  return path;
}

export const hasZstdCli = zstdCliAvailable();
export const NO_ZSTD = 'the zstd CLI is not on PATH (needed to create .zst test files)';

/** Compresses `text` with the zstd CLI (extra args e.g. '--long=31'), writing `path`. */
export function writeZstd(path: string, text: string | Buffer, args: string[] = []): string {
  const r = spawnSync('zstd', ['-q', '-c', ...args], { input: text, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr?.toString()}`);
  writeFileSync(path, r.stdout);
  return path;
}

/** A path in ../shared (beside the repository root); the caller checks that it exists (CI may have none). */
export function sharedPath(...parts: string[]): string {
  return resolve(process.cwd(), '..', 'shared', ...parts);
}

export const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
