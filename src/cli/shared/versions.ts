import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Version of an installed package: resolve its entry point, then walk up to its package.json
 *  (many packages do not export `./package.json`). */
function versionOf(pkg: string): string {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.resolve(pkg)));
  } catch {
    return 'not installed';
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (json.name === pkg && json.version) return json.version;
  }
  return 'unknown';
}

/** moeflow's own version (package.json at the repository root). */
export function moeflowVersion(): string {
  const url = new URL('../../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/** Versions a run records in config.yaml, so results can be tied to the code that made them. */
export function runtimeVersions(): Record<string, string> {
  return {
    moeflow: moeflowVersion(),
    node: process.versions.node,
    '@tensorflow/tfjs-core': versionOf('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
    'apache-arrow': versionOf('apache-arrow'),
    'parquet-wasm': versionOf('parquet-wasm'),
    tokenizers: versionOf('tokenizers'),
  };
}
