import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { onlyRun, runPipelineCli } from './tiny-run.js';

const SHORT = ['--set', 'trainer.steps=4', '--set', 'trainer.evalEvery=0', '--set', 'trainer.checkpointEvery=0', '--set', 'trainer.warmupSteps=0', '--backend', 'wasm'];

test('pipelines/quickstart-explicit.yaml (sources and data.flow stated) trains on the same batches as pipelines/quickstart.yaml (the default flow)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-explicit-'));
  try {
    const hashes: unknown[][] = [];
    for (const name of ['quickstart', 'quickstart-explicit']) {
      const r = await runPipelineCli(['run', `pipelines/${name}.yaml`, '--out', join(dir, name), ...SHORT]);
      assert.equal(r.code, 0, r.err);
      const run = await onlyRun(join(dir, name));
      const rows = (await query(`SELECT step, batch_hash, tokens FROM read_parquet('${join(run, 'metrics')}-*.parquet') ORDER BY step`)).rows;
      hashes.push(rows.map((x) => [x.step, x.batch_hash, x.tokens]));
    }
    assert.equal(hashes[0]!.length, 4);
    assert.deepEqual(hashes[1], hashes[0]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
