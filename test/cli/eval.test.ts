/**
 * `pipeline eval` end to end on a tiny trained run: tables with run_id and step, identical
 * tables from a second evaluation, resume after a kill, batch-size invariance, clear errors.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evalCommand } from '../../src/cli/eval/command.js';
import { onlyRun, runPipelineCli, tinyPipeline } from '../integration/tiny-run.js';
import { query } from '../sinks/duckdb.js';

const DATA = resolve('fixtures/eval/hf');
const TASKS = 'piqa,arc_easy,hellaswag,lambada,blimp';

let root: string;
let trained: string;

async function evalRun(runDir: string, ...extra: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const checkpoint = extra.includes('--checkpoint') ? [] : ['--checkpoint', 'all'];
  const code = await evalCommand([runDir, '--tasks', TASKS, '--data', DATA, ...checkpoint, ...extra], { err: (s) => { err += s; }, out: () => {} });
  return { code, err };
}

/** A copy of the trained run without any eval/ tables. */
async function freshCopy(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(trained, dir, { recursive: true });
  await rm(join(dir, 'eval'), { recursive: true, force: true });
  return dir;
}

async function table(runDir: string, name: 'results' | 'items'): Promise<Record<string, unknown>[]> {
  const order = name === 'results' ? 'step, task, "group", protocol, metric' : 'step, task, item_id';
  return (await query(`SELECT * EXCLUDE (run_id) FROM '${runDir}/eval/${name}-*.parquet' ORDER BY ${order}`)).rows;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'moeflow-eval-cli-'));
  const cfg = join(root, 'tiny.yaml');
  await writeFile(cfg, tinyPipeline({ steps: 4, checkpointEvery: 2 }));
  const r = await runPipelineCli(['run', cfg, '--out', join(root, 'runs')]);
  assert.equal(r.code, 0, r.err);
  trained = await onlyRun(join(root, 'runs'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pipeline eval', () => {
  it('writes eval/results and eval/items for every task × checkpoint, with run_id and step', async () => {
    const dir = await freshCopy('a');
    const r = await evalRun(dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /10 task×checkpoint evaluated, 0 already in eval\/results/);
    const items = await query(`SELECT run_id, step, task, count(*) AS n FROM '${dir}/eval/items-*.parquet' GROUP BY ALL ORDER BY step, task`);
    const runId = trained.split('/').pop();
    assert.deepEqual(items.rows.map((x) => [x['run_id'], x['step'], x['task'], Number(x['n'])]), [2, 4].flatMap((s) =>
      [['arc_easy', 2], ['blimp', 3], ['hellaswag', 2], ['lambada', 2], ['piqa', 3]].map(([t, n]) => [runId, s, t, n])));
    const counts = await query(`SELECT task, metric, value FROM '${dir}/eval/results-*.parquet' WHERE step = 4 AND protocol = 'moeflow' AND metric IN ('read', 'used', 'excluded') AND task = 'arc_easy' ORDER BY metric`);
    assert.deepEqual(counts.rows.map((x) => [x['metric'], x['value']]), [['excluded', 1], ['read', 3], ['used', 2]]);
  });

  it('evaluating the same checkpoints twice gives identical tables', async () => {
    const [a, b] = [await freshCopy('twice-a'), await freshCopy('twice-b')];
    for (const d of [a, b]) assert.equal((await evalRun(d)).code, 0);
    assert.deepStrictEqual(await table(a, 'results'), await table(b, 'results'));
    assert.deepStrictEqual(await table(a, 'items'), await table(b, 'items'));
  });

  it('a re-run skips what is in eval/results; a killed eval resumes without duplicating items', async () => {
    const full = await freshCopy('full');
    assert.equal((await evalRun(full)).code, 0);
    const killed = await freshCopy('killed');
    assert.equal((await evalRun(killed)).code, 0);
    // As if killed during step 4: its last three tasks' results never landed (their items did), and a temp part was left.
    const parts = (await readdir(join(killed, 'eval'))).filter((n) => n.startsWith('results-')).sort();
    for (const p of parts.slice(-3)) await rm(join(killed, 'eval', p));
    await writeFile(join(killed, 'eval', 'items-00099.parquet.tmp'), 'partial');
    const again = await evalRun(killed);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /removed \d+ item rows of a task whose results were never written/);
    assert.match(again.err, /3 task×checkpoint evaluated, 7 already in eval\/results/);
    assert.deepStrictEqual(await table(killed, 'results'), await table(full, 'results'));
    assert.deepStrictEqual(await table(killed, 'items'), await table(full, 'items'));
    assert.ok(!(await readdir(join(killed, 'eval'))).some((n) => n.includes('.tmp')));
    const third = await evalRun(killed);
    assert.match(third.err, /0 task×checkpoint evaluated, 10 already in eval\/results/);
  });

  it('results do not depend on the batch size', async () => {
    const [a, b] = [await freshCopy('bs-a'), await freshCopy('bs-b')];
    assert.equal((await evalRun(a, '--batch-size', '1')).code, 0);
    assert.equal((await evalRun(b, '--batch-size', '64')).code, 0);
    const [ia, ib] = [await table(a, 'items'), await table(b, 'items')];
    assert.deepStrictEqual(ia.map((r) => [r['item_id'], r['correct'], r['acc'], r['acc_norm'], r['prediction']]), ib.map((r) => [r['item_id'], r['correct'], r['acc'], r['acc_norm'], r['prediction']]));
    ia.forEach((r, i) => (r['scores'] as number[]).forEach((s, k) => assert.ok(Math.abs(s - (ib[i]!['scores'] as number[])[k]!) < 1e-5, `${r['item_id']} option ${k}`)));
  });

  it('--routing logs every item × option × MoE layer, and per-token routes for a sample, without changing the scores', async () => {
    const [plain, routed] = [await freshCopy('plain'), await freshCopy('routed')];
    assert.equal((await evalRun(plain, '--checkpoint', 'last')).code, 0);
    const r = await evalRun(routed, '--checkpoint', 'last', '--routing', '--routes-sample', '0.5');
    assert.equal(r.code, 0, r.err);
    const options = (await query(`SELECT sum(len(scores)) AS n FROM '${routed}/eval/items-*.parquet'`)).rows[0]!['n'];
    const routing = await query(`SELECT * FROM '${routed}/eval/routing-*.parquet'`);
    // tiny pipeline: 2 MoE layers, top-2 of 4 experts, dropless.
    assert.equal(routing.rows.length, Number(options) * 2);
    for (const row of routing.rows) {
      const sum = (k: string): number => (row[k] as number[]).reduce((a, b) => a + b, 0);
      assert.equal(sum('top1_counts'), row['tokens']);
      assert.equal(sum('topk_counts'), 2 * Number(row['tokens']));
      assert.ok(Number(row['entropy_full']) > 0 && Number(row['entropy_full']) <= Math.log(4) + 1e-6);
    }
    const routes = await query(`SELECT r.item_id, r.option, r.layer, count(*) AS n, any_value(g.tokens) AS tokens
      FROM '${routed}/eval/routes-*.parquet' r JOIN '${routed}/eval/routing-*.parquet' g USING (task, item_id, option, layer) GROUP BY ALL`);
    assert.ok(routes.rows.length > 0);
    for (const row of routes.rows) assert.equal(Number(row['n']), Number(row['tokens']));
    const [a, b] = [await table(plain, 'items'), await table(routed, 'items')];
    assert.deepStrictEqual(a.map((x) => [x['item_id'], x['correct'], x['acc']]), b.map((x) => [x['item_id'], x['correct'], x['acc']]));
  });

  it('names the task and every path looked at when its data is missing, before loading any model', async () => {
    const dir = await freshCopy('missing');
    const failing = async (...args: string[]): Promise<{ code: number; err: string }> => {
      let err = '';
      const code = await evalCommand([dir, ...args], { err: (s) => { err += s; }, out: () => {} });
      return { code, err };
    };
    const missing = await failing('--tasks', 'piqa,winogrande', '--data', DATA);
    assert.notEqual(missing.code, 0);
    assert.ok(missing.err.includes(`task winogrande: no data file found; looked at: ${DATA}/winogrande.jsonl, ${DATA}/winogrande.parquet`), missing.err);
    const step = await failing('--tasks', 'piqa', '--data', DATA, '--checkpoint', 'step-3');
    assert.notEqual(step.code, 0);
    assert.match(step.err, /no checkpoint step-3; the run has step-2, step-4/);
    const unknown = await failing('--tasks', 'piqa,nope');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown task nope; known: lambada/);
  });
});
