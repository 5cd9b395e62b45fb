/** `pipeline compare`: LibMoE's paper table (ranks with ties averaged) and its refusals. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareCommand } from '../../src/cli/compare/command.js';
import { runCompare } from '../../src/cli/compare/run-compare.js';
import { averageRanks, paperTable, type RunScores } from '../../src/cli/compare/paper-table.js';
import type { MetricRow } from '../../src/eval/scoring/task-metrics.js';
import { evalResultRows } from '../../src/sinks/tables/eval-results.js';
import { EvalTables } from '../../src/sinks/tables/eval-tables.js';
import { query } from '../sinks/duckdb.js';

describe('paper table', () => {
  it('ranks ascending or descending, equal values sharing the mean of their ranks, NaN last', () => {
    assert.deepEqual(averageRanks([3, 1, 2], true), [3, 1, 2]);
    assert.deepEqual(averageRanks([0.5, 0.7, 0.5, 0.1], false), [2.5, 1, 2.5, 4]);
    assert.deepEqual(averageRanks([NaN, 2, 1], true), [3, 2, 1]);
  });

  it('AVG Acc is the mean of the task accuracies × 100; AVG Rank the mean over PPL and every accuracy', () => {
    const run = (runId: string, ppl: number, a: number, b: number): RunScores => ({ runId, router: runId, step: 10, ppl, accuracy: { a, b }, entropy: NaN, maxvio: NaN, deadExperts: NaN });
    const rows = paperTable([run('x', 20, 0.5, 0.25), run('y', 10, 0.5, 0.75)], ['a', 'b']);
    assert.deepEqual(rows.map((r) => [r.scores['a'], r.scores['b'], r.avgAcc]), [[50, 25, 37.5], [50, 75, 62.5]]);
    // x: PPL rank 2, a tied 1.5, b rank 2 → 5.5/3; y: 1, 1.5, 1 → 3.5/3.
    assert.deepEqual(rows.map((r) => r.avgRank), [5.5 / 3, 3.5 / 3]);
    // Without any PPL, only the accuracies rank.
    assert.deepEqual(paperTable([run('x', NaN, 0.5, 0.25), run('y', NaN, 0.5, 0.75)], ['a', 'b']).map((r) => r.avgRank), [1.75, 1.25]);
  });
});

let root: string;

/** A run directory with a config naming its router and eval/results for the given tasks. */
async function fakeRun(name: string, algorithm: string, accuracy: Record<string, number>, opts: { step?: number; limit?: number } = {}): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.yaml'), `model:\n  moe: { algorithm: ${algorithm}, options: { selection_mode: gate } }\nrun: { id: ${name} }\n`);
  const tables = await EvalTables.open(dir);
  for (const [task, value] of Object.entries(accuracy)) {
    const key = { runId: name, step: opts.step ?? 100, task, itemLimit: opts.limit ?? 0 };
    const metrics: MetricRow[] = [
      { group: task === 'lambada' ? 'total' : 'group_average', protocol: 'libmoe', metric: 'accuracy', value, n: 10 },
      { group: 'all', protocol: 'lm-eval-harness', metric: 'acc', value: 0.99, n: 10 },
    ];
    await tables.write(key, { items: [], results: evalResultRows(key, metrics) });
  }
  return dir;
}

before(async () => { root = await mkdtemp(join(tmpdir(), 'moeflow-compare-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

describe('pipeline compare', () => {
  it('writes the table as Markdown, CSV and Parquet, and the plot, in LibMoE column order', async () => {
    const a = await fakeRun('softmax', 'moe_layer', { piqa: 0.6, lambada: 0.2 });
    const b = await fakeRun('xmoe', 'moe_layer_xmoe', { piqa: 0.55, lambada: 0.3 });
    const out = join(root, 'cmp');
    let printed = '';
    assert.equal(await compareCommand([a, b, '--out', out], { out: (s) => { printed += s; }, err: () => {} }), 0);
    assert.match(printed, /\| run \| router \| PPL ↓ \| LAMBADA \| PIQA \| AVG Acc ↑ \| AVG Rank ↓ \|/);
    assert.match(printed, /\| softmax \| moe_layer \(gate\) \| – \| 20\.00 \| 60\.00 \| 40\.00 \| 1\.50 \|/);
    const csv = await readFile(join(out, 'compare.csv'), 'utf8');
    assert.equal(csv.split('\n')[0], 'run_id,router,step,ppl,lambada,piqa,avg_acc,avg_rank,entropy,maxvio,dead_experts');
    const pq = await query(`SELECT run_id, router, piqa, avg_acc FROM '${join(out, 'compare.parquet')}' ORDER BY run_id`);
    assert.deepEqual(pq.rows.map((r) => [r['run_id'], r['router'], r['piqa'], r['avg_acc']]), [['softmax', 'moe_layer (gate)', 60, 40], ['xmoe', 'moe_layer_xmoe (gate)', 100 * 0.55, 42.5]]);
    assert.ok((await stat(join(out, 'compare.png'))).size > 1000);
  });

  it('refuses runs scored on different task sets, limits or checkpoints, naming the difference', async () => {
    const base = await fakeRun('base', 'moe_layer', { piqa: 0.5, blimp: 0.5 });
    const fewer = await fakeRun('fewer', 'moe_layer', { piqa: 0.5 });
    const limited = await fakeRun('limited', 'moe_layer', { piqa: 0.5, blimp: 0.5 }, { limit: 40 });
    const later = await fakeRun('later', 'moe_layer', { piqa: 0.5, blimp: 0.5 }, { step: 200 });
    const out = join(root, 'refused');
    await assert.rejects(runCompare({ runDirs: [base, fewer], outDir: out }), { message: 'runs were scored on different task sets: base has blimp, piqa; fewer has piqa' });
    await assert.rejects(runCompare({ runDirs: [base, limited], outDir: out }), { message: 'runs were scored with different --limit: base all, limited 40' });
    await assert.rejects(runCompare({ runDirs: [base, later], outDir: out }), { message: 'runs were scored at different checkpoints: base at step 100, later at step 200' });
    await assert.rejects(runCompare({ runDirs: [base, join(root, 'nothing')], outDir: out }), /is not a run directory \(no config\.yaml\)/);
  });
});
