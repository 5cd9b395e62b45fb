/**
 * `pipeline run` with data-parallel workers (trainer.workers): the run equals the single-thread
 * run with the same micro-batches, and a run killed after a checkpoint resumes to the same
 * weights as an uninterrupted run with the same worker count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { onlyRun, runPipelineCli, spawnPipeline, tinyPipeline } from './tiny-run.js';

const STEPS = 12;

async function metrics(runDir: string): Promise<Record<string, unknown>[]> {
  return (await query(`SELECT step, loss, batch_hash, lr, grad_norm, aux_total FROM read_parquet('${join(runDir, 'metrics')}-*.parquet') ORDER BY step`)).rows;
}

const finalWeights = (runDir: string): Promise<Buffer> => readFile(join(runDir, `checkpoints/step-${STEPS}/model.safetensors`));

test('2 workers: the same losses and final weights as one thread with the same 2 micro-batches; killed (SIGKILL) or stopped (Ctrl-C) after a checkpoint, the run resumes to the same weights', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-workers-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: STEPS, checkpointEvery: 4 }));

    const whole = await runPipelineCli(['run', cfg, '--out', join(dir, 'a'), '--set', 'trainer.workers=2']);
    assert.equal(whole.code, 0, whole.err);
    assert.match(whole.err, /2 data-parallel workers \(this thread and 1 worker thread; 2 micro-batches of 2 rows per step\)/);
    assert.match(whole.err, /tok\/s\), 2 data-parallel workers$/m);
    const runA = await onlyRun(join(dir, 'a'));

    // One thread, the same 4 rows per step split into the same 2 micro-batches.
    const single = await runPipelineCli(['run', cfg, '--out', join(dir, 'c'), '--set', 'data.batchSize=2', '--set', 'trainer.accumulate=2']);
    assert.equal(single.code, 0, single.err);
    assert.match(single.err, /training on 1 thread/);
    const runC = await onlyRun(join(dir, 'c'));
    assert.deepEqual(await metrics(runA), await metrics(runC), 'bitwise the same loss, lr, gradient norm and aux losses per step');
    assert.ok((await finalWeights(runA)).equals(await finalWeights(runC)), 'the same final weights');

    const killed = spawnPipeline(['run', cfg, '--out', join(dir, 'b'), '--set', 'trainer.workers=2']);
    let runB: string | undefined;
    for (let i = 0; i < 6000 && !killed.child.killed; i++) {
      if (existsSync(join(dir, 'b'))) {
        runB ??= await onlyRun(join(dir, 'b')).catch(() => undefined);
        if (runB && existsSync(join(runB, 'checkpoints/step-4'))) killed.child.kill('SIGKILL');
      }
      if (killed.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const exit = await killed.done;
    assert.equal(exit.signal, 'SIGKILL', `the run should have been killed mid-run, it exited: ${exit.err}`);
    assert.ok(runB);
    assert.ok(!existsSync(join(runB, `checkpoints/step-${STEPS}`)), 'killed before the end');

    const resumed = await runPipelineCli(['run', '--resume', runB]);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, /resuming after step \d+/);
    assert.match(resumed.err, /2 data-parallel workers/, 'the resumed run keeps its worker count');
    assert.deepEqual(await metrics(runB), await metrics(runA));
    assert.ok((await finalWeights(runB)).equals(await finalWeights(runA)), 'the same final weights as the uninterrupted run');

    // Ctrl-C (an early stop): the run finishes its step, checkpoints, stops its worker and exits 130; resumed, it ends as the uninterrupted run.
    const stopped = spawnPipeline(['run', cfg, '--out', join(dir, 'd'), '--set', 'trainer.workers=2']);
    let runD: string | undefined;
    for (let i = 0; i < 6000 && stopped.child.exitCode === null; i++) {
      if (existsSync(join(dir, 'd'))) {
        runD ??= await onlyRun(join(dir, 'd')).catch(() => undefined);
        if (runD && existsSync(join(runD, 'checkpoints/step-4')) && !stopped.child.killed) stopped.child.kill('SIGINT');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const stop = await stopped.done;
    assert.equal(stop.code, 130, `interrupted: ${stop.err}`);
    assert.ok(runD);
    assert.ok(!existsSync(join(runD, `checkpoints/step-${STEPS}`)), 'stopped before the end');
    const continued = await runPipelineCli(['run', '--resume', runD]);
    assert.equal(continued.code, 0, continued.err);
    assert.ok((await finalWeights(runD)).equals(await finalWeights(runA)), 'stopped and resumed: the same final weights');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trainer.workers is validated: a count that cannot split the batch, or a word other than auto, fails naming the key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-workers-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0 }));
    const three = await runPipelineCli(['run', cfg, '--out', join(dir, 'x'), '--set', 'trainer.workers=3']);
    assert.equal(three.code, 2, three.err);
    assert.match(three.err, /trainer\.workers.*splits the step's 4 rows \(data\.batchSize 4 × trainer\.accumulate 1\) into 3 equal micro-batches/s);
    const word = await runPipelineCli(['run', cfg, '--out', join(dir, 'x'), '--set', 'trainer.workers=many']);
    assert.equal(word.code, 2, word.err);
    assert.match(word.err, /trainer\.workers.*expected a positive integer or "auto"/s);
    const zero = await runPipelineCli(['run', cfg, '--out', join(dir, 'x'), '--set', 'trainer.workers=0']);
    assert.equal(zero.code, 2, zero.err);
    assert.match(zero.err, /trainer\.workers/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
