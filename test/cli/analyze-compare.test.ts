/**
 * `pipeline analyze --compare`: two tiny runs with different routers (σ-MoE moe_layer with ReLU
 * experts, VLM smoe with GELU experts) on the same probe documents; the comparison table agrees
 * with each run's own analysis tables, the PNG is drawn, and bad input is refused before any work.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { analyzeCommand } from '../../src/cli/analyze/command.js';
import { onlyRun, runPipelineCli, tinyPipeline } from '../integration/tiny-run.js';
import { query } from '../sinks/duckdb.js';

let root: string;
let sigma: string;
let smoe: string;

async function analyzeRun(...args: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const code = await analyzeCommand(args, { err: (s) => { err += s; }, out: (s) => { out += s; } });
  return { code, err, out };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'moeflow-analyze-compare-'));
  const cfg = join(root, 'tiny.yaml');
  await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 1 }));
  for (const [name, sets] of [['sigma', []], ['smoe', ['--set', 'model.moe.algorithm=smoe', '--set', 'model.moe.options={}']]] as const) {
    const r = await runPipelineCli(['run', cfg, ...sets, '--out', join(root, name)]);
    assert.equal(r.code, 0, r.err);
  }
  [sigma, smoe] = [await onlyRun(join(root, 'sigma')), await onlyRun(join(root, 'smoe'))];
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pipeline analyze --compare', () => {
  it('lines two routers up on the same probe documents: a table that matches each run\'s analysis, and one PNG', async () => {
    const out = join(root, 'cmp');
    const r = await analyzeRun('--compare', sigma, smoe, '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((await readdir(out)).sort(), ['analysis-compare.md', 'analysis-compare.png']);
    const meta = await sharp(join(out, 'analysis-compare.png')).metadata();
    assert.ok(meta.format === 'png' && meta.width! > 300 && meta.height! > 500, `${meta.width}×${meta.height}`);
    const md = await readFile(join(out, 'analysis-compare.md'), 'utf8');
    assert.equal(r.out, md);
    const sigmaId = sigma.split('/').pop()!;
    assert.match(md, /^# Routing analysis of 2 runs on the same probe set/);
    assert.ok(md.includes(`Probe set: 8 documents from ${sigmaId}'s held-out documents (data.heldOut)`), md);
    assert.match(md, /the same tokenizer in every run/);
    const rows = md.split('\n').filter((l) => /^\| (tiny-|\S+ \(2\))/.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    assert.equal(rows.length, 2, md);
    assert.deepEqual(rows.map((c) => [c[1], c[2]]), [['moe_layer', 'step-1, step-2'], ['smoe', 'step-1, step-2']]);
    // Both runs saw the same documents (the same tokenizer here, so the same token count), and each row is its run's own numbers.
    assert.equal(rows[0]![3], rows[1]![3]);
    for (const [i, dir] of [sigma, smoe].entries()) {
      assert.ok((await readdir(join(dir, 'analysis'))).includes('analysis.md'), 'each run\'s analysis is written');
      const ppl = (await query(`SELECT perplexity FROM '${dir}/analysis/ablation.parquet' WHERE step = 2 AND drop_top = 0 AND domain = 'all'`)).rows[0]!['perplexity'] as number;
      assert.equal(rows[i]![4], ppl.toFixed(2));
      const usage = (await query(`SELECT avg(usage_perplexity) AS u FROM '${dir}/analysis/usage.parquet' WHERE step = 2 AND "window" = -1`)).rows[0]!['u'] as number;
      assert.equal(rows[i]![9], usage.toFixed(3));
    }
    // ReLU pass rate for the σ-MoE experts only; the GELU run has none (and no relu table).
    assert.match(rows[0]![13]!, /^0\.\d{3}$/);
    assert.equal(rows[1]![13], '—');
    assert.ok(!(await readdir(join(smoe, 'analysis'))).includes('relu.parquet'));
    // ANI from gate.weight and experts.*.{0,2}.weight for smoe.
    const ani = await query(`SELECT matrix, parameter FROM '${smoe}/analysis/ani.parquet' WHERE step = 2 AND layer = 0 ORDER BY matrix`);
    assert.deepEqual(ani.rows.map((x) => [x['matrix'], x['parameter']]), [['expert_sel', 'gate.weight'], ['keys', 'experts.*.0.weight'], ['router_rows', 'gate.weight'], ['values', 'experts.*.2.weight']]);
  });

  it('refuses one run with --compare, several without it, --out without it, and names a missing run before analysing any', async () => {
    const one = await analyzeRun('--compare', sigma);
    assert.equal(one.code, 2);
    assert.match(one.err, /--compare: give at least two RUN_DIRs \(got 1\)/);
    const two = await analyzeRun(sigma, smoe);
    assert.equal(two.code, 2);
    assert.match(two.err, /2 run directories given; analyse one, or give --compare/);
    const outOnly = await analyzeRun(sigma, '--out', join(root, 'x'));
    assert.equal(outOnly.code, 2);
    assert.match(outOnly.err, /--out is for --compare/);
    await rm(join(sigma, 'analysis'), { recursive: true, force: true });
    const missing = await analyzeRun('--compare', sigma, join(root, 'nope'), '--out', join(root, 'never'));
    assert.equal(missing.code, 1);
    assert.ok(missing.err.includes(`${join(root, 'nope')} is not a run directory (no config.yaml)`), missing.err);
    assert.ok(!(await readdir(sigma)).includes('analysis'), 'nothing analysed');
  });
});
