import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { onlyRun, parquetFiles, runPipelineCli, spawnPipeline, tinyPipeline } from './tiny-run.js';

const STEPS = 40;
const TABLES = ['metrics', 'eval', 'routing/experts', 'routing/layers', 'routing/domains', 'routing/tokens'];

async function rows(runDir: string, table: string, cols: string): Promise<Record<string, unknown>[]> {
  return (await query(`SELECT ${cols} FROM read_parquet('${join(runDir, table)}-*.parquet') ORDER BY ALL`)).rows;
}

test('a run killed with SIGKILL after a checkpoint resumes to the same batches and bitwise the same losses as an uninterrupted run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-resume-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: STEPS, checkpointEvery: 5, evalEvery: 10 }));

    const whole = await runPipelineCli(['run', cfg, '--out', join(dir, 'a')]);
    assert.equal(whole.code, 0, whole.err);
    const runA = await onlyRun(join(dir, 'a'));

    // Kill the second run as soon as its first checkpoint exists (mid-run, wherever it is).
    const killed = spawnPipeline(['run', cfg, '--out', join(dir, 'b')]);
    let runB: string | undefined;
    for (let i = 0; i < 6000 && !killed.child.killed; i++) {
      if (existsSync(join(dir, 'b'))) {
        runB ??= await onlyRun(join(dir, 'b')).catch(() => undefined);
        if (runB && existsSync(join(runB, 'checkpoints/step-5'))) killed.child.kill('SIGKILL');
      }
      if (killed.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const exit = await killed.done;
    assert.equal(exit.signal, 'SIGKILL', `the run should have been killed mid-run, it exited: ${exit.err}`);
    assert.ok(runB);
    assert.ok(!existsSync(join(runB, `checkpoints/step-${STEPS}`)), 'killed before the end');

    // Everything the killed run left is readable.
    const left = await parquetFiles(runB);
    assert.ok(left.length > 0);
    for (const f of left) await query(`SELECT count(*) FROM read_parquet('${join(runB, f)}')`);

    const resumed = await runPipelineCli(['run', '--resume', runB]);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, /resuming after step \d+/);

    const lossA = await rows(runA, 'metrics', 'step, loss, batch_hash, lr, grad_norm, aux_total');
    const lossB = await rows(runB, 'metrics', 'step, loss, batch_hash, lr, grad_norm, aux_total');
    assert.equal(lossA.length, STEPS);
    assert.deepEqual(lossB.map((r) => r.step), lossA.map((r) => r.step), 'every step exactly once');
    assert.deepEqual(lossB.map((r) => r.batch_hash), lossA.map((r) => r.batch_hash), 'the same batches in the same order');
    assert.deepEqual(lossB, lossA, 'bitwise identical loss, lr, gradient norm and aux losses per step');
    for (const t of TABLES) {
      const count = 'step, count(*)::INT AS n';
      const perStep = async (run: string): Promise<Record<string, unknown>[]> =>
        (await query(`SELECT ${count} FROM read_parquet('${join(run, t)}-*.parquet') GROUP BY step ORDER BY step`)).rows;
      assert.deepEqual(await perStep(runB), await perStep(runA), `${t}: no duplicated or lost rows`);
    }
    assert.deepEqual(await rows(runB, 'routing/experts', '* EXCLUDE (run_id)'), await rows(runA, 'routing/experts', '* EXCLUDE (run_id)'));
    assert.deepEqual(await rows(runB, 'eval', 'step, loss, accuracy, tokens'), await rows(runA, 'eval', 'step, loss, accuracy, tokens'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
