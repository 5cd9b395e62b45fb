import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { plainChildEnv } from '../support/child-env.js';
import { NO_ZSTD, docs, hasZstdCli, tempDir, writeZstd } from './support/fixtures.js';

for (const decoder of ['cli'] as const) test(`a stage abandoned in the middle of a .zst file (${decoder} decoder) does not keep the process alive`, { skip: !hasZstdCli && NO_ZSTD }, () => {
  const { dir, cleanup } = tempDir();
  try {
    // Large enough that zstd is still blocked on a full pipe when the script ends.
    const file = writeZstd(join(dir, 'big.jsonl.zst'), docs(20_000, 'x'.repeat(200)));
    const source = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'streams', 'slimpajama', 'slimpajama.js')).href;
    const script = `
      import { slimPajama } from ${JSON.stringify(source)};
      const it = slimPajama({ files: [${JSON.stringify(file)}], decoder: '${decoder}' })()[Symbol.asyncIterator]();
      const first = await it.next();
      process.stdout.write(String(first.value.provenance.line));`;
    // The timeout only detects a hang (the script itself takes well under a second).
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: plainChildEnv() });
    assert.equal(run.signal, null, `the script hung and was killed: ${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '1');
  } finally { cleanup(); }
});
