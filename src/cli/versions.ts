import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    const main = require.resolve(`${pkg}/package.json`);
    return (JSON.parse(readFileSync(main, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** moeflow's own version (package.json at the repository root). */
export function moeflowVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
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
