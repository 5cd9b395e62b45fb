/**
 * `pipeline run` with an `eval:` section: the run scores its own checkpoints at the end into the
 * same eval/ tables `pipeline eval` writes, skips what is there on --resume, and refuses to
 * start when a task's data is missing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onlyRun, runPipelineCli, tinyPipeline } from '../integration/tiny-run.js';
import { query } from '../sinks/duckdb.js';

const DATA = resolve('fixtures/eval/hf');

let root: string;

before(async () => { root = await mkdtemp(join(tmpdir(), 'moeflow-run-eval-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

async function pipelineFile(name: string, evalSection: string): Promise<string> {
  const file = join(root, `${name}.yaml`);
  await writeFile(file, tinyPipeline({ steps: 4, checkpointEvery: 2, extra: evalSection }));
  return file;
}

async function evaluated(runDir: string): Promise<[number, string, number][]> {
  const r = await query(`SELECT step, task, count(*) AS n FROM '${runDir}/eval/items-*.parquet' GROUP BY ALL ORDER BY step, task`);
  return r.rows.map((x) => [Number(x['step']), String(x['task']), Number(x['n'])]);
}

describe('pipeline run with an eval: section', () => {
  it('evaluates the final checkpoint only by default', async () => {
    const file = await pipelineFile('final', `eval: { tasks: [piqa, lambada], data: ${DATA} }`);
    const r = await runPipelineCli(['run', file, '--out', join(root, 'final')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /eval: the final checkpoint on piqa, lambada/);
    const run = await onlyRun(join(root, 'final'));
    assert.deepEqual(await evaluated(run), [[4, 'lambada', 2], [4, 'piqa', 3]]);
    const ids = await query(`SELECT DISTINCT run_id FROM '${run}/eval/results-*.parquet'`);
    assert.deepEqual(ids.rows.map((x) => x['run_id']), [run.split('/').pop()]);

    // Resuming the finished run trains nothing more and re-evaluates nothing.
    const parts = (await readdir(join(run, 'eval'))).sort();
    const again = await runPipelineCli(['run', '--resume', run]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /0 task×checkpoint evaluated, 2 already in eval\/results/);
    assert.deepEqual((await readdir(join(run, 'eval'))).sort(), parts);
  });

  it('evaluates every checkpoint with every: true, and --resume adds only what is missing', async () => {
    const file = await pipelineFile('every', `eval: { tasks: [piqa], data: ${DATA}, every: true }`);
    const r = await runPipelineCli(['run', file, '--out', join(root, 'every')]);
    assert.equal(r.code, 0, r.err);
    const run = await onlyRun(join(root, 'every'));
    assert.deepEqual(await evaluated(run), [[2, 'piqa', 3], [4, 'piqa', 3]]);
    // A task added later on resume: only it is scored, on both checkpoints.
    const more = await runPipelineCli(['run', '--resume', run, '--set', 'eval.tasks=[piqa,arc_easy]']);
    assert.equal(more.code, 0, more.err);
    assert.match(more.err, /2 task×checkpoint evaluated, 2 already in eval\/results/);
    assert.deepEqual(await evaluated(run), [[2, 'arc_easy', 2], [2, 'piqa', 3], [4, 'arc_easy', 2], [4, 'piqa', 3]]);
  });

  it('a missing task file stops the run before it starts, naming the task and the paths looked at', async () => {
    const file = await pipelineFile('missing', `eval: { tasks: [piqa, winogrande], data: ${DATA} }`);
    const r = await runPipelineCli(['run', file, '--out', join(root, 'missing')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /eval\.tasks\[1\]: task winogrande: no data file found; looked at: .*winogrande/);
    await assert.rejects(readdir(join(root, 'missing')));
  });
});
