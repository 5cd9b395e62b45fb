import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { onlyRun, runPipelineCli, tinyPipeline } from './tiny-run.js';

test('NaN/Inf stops the run with an error naming the step and the layer, after checkpointing the last good state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-nan-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 6, checkpointEvery: 0 }));
    // An absurd learning rate: step 1 is finite, its update blows the weights up, step 2 overflows.
    const r = await runPipelineCli(['run', cfg, '--set', 'trainer.lr=1e30', '--set', 'trainer.warmupSteps=0', '--out', join(dir, 'o')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /step 2: non-finite values in activation:block 0 attention/);
    assert.match(r.err, /last good state \(step 1\) is checkpointed/);
    const run = await onlyRun(join(dir, 'o'));
    assert.ok(existsSync(join(run, 'checkpoints/step-1/model.safetensors')));
    const m = await query(`SELECT step FROM read_parquet('${join(run, 'metrics')}-*.parquet')`);
    assert.deepEqual(m.rows.map((x) => x.step), [1], 'the finite step was written, the failed one was not');

    // The checkpoint loads: a resume restores exactly that state (the weights step 1's update
    // blew up), so it meets the same overflow at the same step, and writes no duplicate row.
    const resumed = await runPipelineCli(['run', '--resume', run]);
    assert.equal(resumed.code, 1, resumed.err);
    assert.match(resumed.err, /resuming after step 1/);
    assert.match(resumed.err, /step 2: non-finite values in activation:block 0 attention/);
    const after = await query(`SELECT count(*)::INT n FROM read_parquet('${join(run, 'metrics')}-*.parquet')`);
    assert.deepEqual(after.rows[0], { n: 1 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
