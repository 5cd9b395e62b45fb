/**
 * `pipeline analyze` end to end on a tiny trained run with two checkpoints: every analysis table
 * with rows that reconcile with each other, analysis.md and the PNG plots, identical tables from
 * a second analysis, and clear errors for bad input.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { analyzeCommand } from '../../src/cli/analyze/command.js';
import { probeKind } from '../../src/cli/analyze/probe-kind.js';
import { ANALYSIS_TABLES } from '../../src/sinks/tables/analysis-tables.js';
import { onlyRun, runPipelineCli, tinyPipeline } from '../integration/tiny-run.js';
import { query } from '../sinks/duckdb.js';
import { REPO_ROOT } from '../golden/golden-format.js';

let root: string;
let trained: string;
let runId: string;
let analysed: string;

async function analyzeRun(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await analyzeCommand(args, { err: (s) => { err += s; }, out: () => {} });
  return { code, err };
}

async function copyOfRun(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(trained, dir, { recursive: true });
  return dir;
}

const rowsOf = async (dir: string, table: string, order = 'ALL'): Promise<Record<string, unknown>[]> =>
  (await query(`SELECT * FROM '${dir}/analysis/${table}.parquet' ORDER BY ${order}`)).rows;
const num = (x: unknown): number => Number(x);
/** The tables a document probe writes (every table but the task-accuracy one). */
const DOCUMENT_TABLES = Object.keys(ANALYSIS_TABLES).filter((t) => t !== 'ablation_accuracy');
const PIQA = join(REPO_ROOT, 'fixtures/eval/hf/piqa.jsonl');
const show = (x: unknown): string => JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'moeflow-analyze-cli-'));
  const cfg = join(root, 'tiny.yaml');
  await writeFile(cfg, tinyPipeline({ steps: 4, checkpointEvery: 2 }));
  const r = await runPipelineCli(['run', cfg, '--out', join(root, 'runs')]);
  assert.equal(r.code, 0, r.err);
  trained = await onlyRun(join(root, 'runs'));
  runId = trained.split('/').pop()!;
  analysed = await copyOfRun('analysed');
  const a = await analyzeRun(analysed, '--window', '100');
  assert.equal(a.code, 0, a.err);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pipeline analyze', () => {
  it('writes every analysis table, analysis.md and the plots', async () => {
    const files = (await readdir(join(analysed, 'analysis'))).sort();
    // ablation_accuracy is for --probe TASKS (below).
    const tables = DOCUMENT_TABLES.map((t) => `${t}.parquet`);
    const plots = ['ablation.png', 'coactivation.png', 'dynamics.png', 'layer-similarity.png', 'specialisation.png'];
    assert.deepEqual(files, [...tables, ...plots, 'analysis.md'].sort());
    for (const t of DOCUMENT_TABLES) {
      const r = await query(`SELECT count(*) AS n, min(run_id) AS a, max(run_id) AS b, list(DISTINCT step ORDER BY step) AS steps FROM '${analysed}/analysis/${t}.parquet'`);
      const row = r.rows[0]!;
      assert.ok(num(row['n']) > 0, `${t}: no rows`);
      assert.deepEqual([row['a'], row['b']], [runId, runId], t);
      assert.deepEqual(row['steps'], [2, 4], t);
    }
    for (const p of plots) {
      const meta = await sharp(join(analysed, 'analysis', p)).metadata();
      assert.equal(meta.format, 'png', p);
      assert.ok(meta.width! > 200 && meta.height! > 150, `${p}: ${meta.width}×${meta.height}`);
    }
    const md = await readFile(join(analysed, 'analysis', 'analysis.md'), 'utf8');
    assert.match(md, new RegExp(`^# Routing analysis of ${runId}`));
    assert.match(md, /Checkpoints: step-2, step-4\. Probe set: 8 documents, \d+ tokens/);
    // One row per MoE layer (the tiny model has 2), and the ablation table for both steps.
    assert.equal(md.split('\n').filter((l) => /^\| [01] \| \d\.\d{3} \| /.test(l)).length, 2, md);
    assert.match(md, /^\| 0 \| (\d\.\d{3} \| ){4}[^|]+ \| -?\d\.\d{4} \/ -?\d\.\d{4} \/ -?\d\.\d{4} \| 0\.\d{3} \|$/m);
    assert.match(md, /^\| 4 \| \d+\.\d{2} \| \d+\.\d{2} \(-?\d+\.\d{2}\) \| \d+\.\d{2} \(-?\d+\.\d{2}\) \|$/m);
    for (const f of [...tables, ...plots]) assert.ok(md.includes(f), `analysis.md does not link ${f}`);
  });

  it('table rows reconcile with each other', async () => {
    // Probe tokens per domain (from specialisation), and their total.
    const dom = await query(`SELECT domain, any_value(domain_tokens) AS n FROM '${analysed}/analysis/specialisation.parquet' GROUP BY domain`);
    const total = dom.rows.reduce((s, r) => s + num(r['n']), 0);
    assert.ok(dom.rows.length >= 2 && total > 100, `domains ${show(dom.rows)}`);

    // Specialisation: k = 2 picks per token, over E = 4 experts, per step × layer × domain.
    for (const r of (await query(`SELECT step, layer, domain, sum(tokens) AS t, any_value(domain_tokens) AS d, sum(share) AS s, count(*) AS e, max(abs(vs_uniform - share / 0.5)) AS off
      FROM '${analysed}/analysis/specialisation.parquet' GROUP BY ALL`)).rows) {
      assert.equal(num(r['t']), 2 * num(r['d']), show(r));
      assert.ok(Math.abs(num(r['s']) - 2) < 1e-9 && num(r['e']) === 4 && num(r['off']) < 1e-9, show(r));
    }
    // Co-occurrence diagonal = tokens that picked the expert = specialisation tokens summed over domains.
    const diag = await query(`SELECT c.step, c.layer, c.expert, c.count, c.fraction, s.t FROM '${analysed}/analysis/cooccurrence.parquet' c
      JOIN (SELECT step, layer, expert, sum(tokens) AS t FROM '${analysed}/analysis/specialisation.parquet' GROUP BY ALL) s USING (step, layer, expert) WHERE c.expert = c.other`);
    assert.equal(diag.rows.length, 2 * 2 * 4);
    for (const r of diag.rows) {
      assert.equal(num(r['count']), num(r['t']), show(r));
      assert.equal(num(r['fraction']), num(r['count']) > 0 ? 1 : 0);
    }
    // A token picks 2 distinct experts: row i's off-diagonal counts sum to its diagonal.
    for (const r of (await query(`SELECT step, layer, expert, sum(count) FILTER (WHERE expert <> other) AS off, sum(count) FILTER (WHERE expert = other) AS d FROM '${analysed}/analysis/cooccurrence.parquet' GROUP BY ALL`)).rows) {
      assert.equal(num(r['off']), num(r['d']), show(r));
    }
    // Dynamics: the first checkpoint has no predecessor; position match = 1 − switch; the last is saturated.
    const dyn = await rowsOf(analysed, 'dynamics', 'step, layer, domain');
    assert.equal(dyn.length, 2 * 2 * (dom.rows.length + 1));
    for (const r of dyn) {
      const domainTokens = r['domain'] === 'all' ? total : num(dom.rows.find((d) => d['domain'] === r['domain'])!['n']);
      assert.equal(num(r['tokens']), domainTokens, show(r));
      assert.equal(r['final_step'], 4);
      if (r['step'] === 2) {
        assert.equal(r['from_step'], -1);
        assert.ok(Number.isNaN(r['switch_fraction']));
        assert.ok(num(r['saturation']) >= 0 && num(r['saturation']) <= 1);
      } else {
        assert.equal(r['from_step'], 2);
        assert.ok(Math.abs(num(r['position_match']) - (1 - num(r['switch_fraction']))) < 1e-12);
        assert.ok(num(r['overlap_fraction']) >= num(r['position_match']) - 1e-12, 'overlap counts order-free matches too');
        assert.equal(r['saturation'], 1);
        assert.equal(r['overlap_saturation'], 1);
      }
    }
    // Saturation at step 2 (against step 4) is the position match of step 4 (from step 2): two checkpoints.
    for (const r of dyn.filter((x) => x['step'] === 2)) {
      const at4 = dyn.find((x) => x['step'] === 4 && x['layer'] === r['layer'] && x['domain'] === r['domain'])!;
      assert.ok(Math.abs(num(r['saturation']) - num(at4['position_match'])) < 1e-12);
      assert.ok(Math.abs(num(r['overlap_saturation']) - num(at4['overlap_fraction'])) < 1e-12);
    }
    // Layers: L × L per step with a unit diagonal; universality = mean of the usage-similarity matrix.
    const layers = await rowsOf(analysed, 'layers');
    assert.equal(layers.length, 2 * 4);
    for (const r of layers.filter((x) => x['layer'] === x['other'])) assert.deepEqual([r['usage_similarity'], r['token_jaccard']].map((x) => Math.round(num(x) * 1e9) / 1e9), [1, 1]);
    for (const u of await rowsOf(analysed, 'universality')) {
      const m = layers.filter((x) => x['step'] === u['step']).map((x) => num(x['usage_similarity']));
      assert.equal(u['layers'], 2);
      assert.ok(Math.abs(num(u['score']) - m.reduce((a, b) => a + b, 0) / 4) < 1e-9, show(u));
    }
    // Usage: window −1 is the whole probe set; the --window 100 windows partition it.
    for (const r of (await query(`SELECT step, layer, sum(tokens) FILTER (WHERE "window" >= 0) AS w, any_value(tokens) FILTER (WHERE "window" = -1) AS a, count(*) FILTER (WHERE "window" >= 0) AS n FROM '${analysed}/analysis/usage.parquet' GROUP BY ALL`)).rows) {
      assert.deepEqual([num(r['w']), num(r['a']), num(r['n'])], [total, total, Math.ceil(total / 100)], show(r));
    }
    // Ablation: intact, DropTop-1, DropTop-1&2 per step and domain; domains' predicted tokens add up to 'all'.
    const abl = await rowsOf(analysed, 'ablation', 'step, drop_top, domain');
    assert.equal(abl.length, 2 * 3 * (dom.rows.length + 1));
    for (const r of abl) {
      if (r['drop_top'] === 0) assert.equal(r['delta_perplexity'], 0);
      assert.ok(Math.abs(num(r['perplexity']) - Math.exp(num(r['mean_nll']))) < 1e-9 * num(r['perplexity']));
      const parts = abl.filter((x) => x['step'] === r['step'] && x['drop_top'] === r['drop_top'] && x['domain'] !== 'all');
      if (r['domain'] === 'all') assert.equal(num(r['tokens']), parts.reduce((s, x) => s + num(x['tokens']), 0));
    }
    assert.ok(abl.some((r) => num(r['delta_perplexity']) !== 0), 'removing the top expert changes the perplexity');
    // ANI (tiny model: E 4, s 16, D 32): LibMoE's rows per matrix, per step × MoE layer; trained weights differ between steps.
    const ani = await rowsOf(analysed, 'ani', 'step, layer, matrix');
    assert.deepEqual(ani.filter((r) => r['step'] === 2 && r['layer'] === 0).map((r) => [r['matrix'], r['parameter'], r['rows'], r['cols']]),
      [['expert_sel', 'expert_sel', 32, 4], ['keys', 'keys', 64, 32], ['router_rows', 'expert_sel', 4, 32], ['values', 'values', 64, 32]]);
    assert.equal(ani.length, 2 * 2 * 4);
    for (const r of ani) assert.ok(num(r['ani']) > -1 && num(r['ani']) < 1 && num(r['ani']) !== 0, show(r));
    assert.ok(ani.some((r, i) => r['step'] === 4 && r['ani'] !== ani[i - 8]!['ani']), 'ANI moves with training');
    // ReLU pass rate (σ-MoE experts, s 16): every real token's k = 2 slots computed.
    const relu = await rowsOf(analysed, 'relu', 'step, layer');
    assert.equal(relu.length, 2 * 2);
    for (const r of relu) {
      assert.deepEqual([num(r['slots']), num(r['width'])], [2 * total, 16], show(r));
      assert.ok(num(r['active']) > 0 && num(r['active']) < 2 * total * 16);
      assert.ok(Math.abs(num(r['pass_rate']) - num(r['active']) / (2 * total * 16)) < 1e-12);
    }
    // Vocabulary: ids seen at least --min-occurrences (3) times, at most every probe token.
    for (const r of (await query(`SELECT step, layer, min(occurrences) AS lo, sum(occurrences) AS s, min(top_share) AS ts FROM '${analysed}/analysis/vocabulary.parquet' GROUP BY ALL`)).rows) {
      assert.ok(num(r['lo']) >= 3 && num(r['s']) <= total && num(r['ts']) > 0, show(r));
    }
  });

  it('a second analysis of the same checkpoints gives identical tables and analysis.md', async () => {
    const again = await copyOfRun('again');
    const a = await analyzeRun(again, '--window', '100', '--no-plots');
    assert.equal(a.code, 0, a.err);
    for (const t of DOCUMENT_TABLES) assert.deepStrictEqual(await rowsOf(again, t), await rowsOf(analysed, t), t);
    const md = (dir: string) => readFile(join(dir, 'analysis', 'analysis.md'), 'utf8').then((s) => s.replace(/\n## Files[\s\S]*$/, ''));
    assert.equal(await md(again), await md(analysed));
  });

  it('--checkpoints last analyses one checkpoint; --no-ablation keeps only the intact perplexity', async () => {
    const last = await copyOfRun('last');
    const a = await analyzeRun(last, '--checkpoints', 'last', '--no-ablation', '--no-plots');
    assert.equal(a.code, 0, a.err);
    assert.match(a.err, /1 checkpoints × \d+ probe tokens/);
    const dyn = await rowsOf(last, 'dynamics');
    assert.ok(dyn.length > 0 && dyn.every((r) => r['step'] === 4 && r['from_step'] === -1 && r['saturation'] === 1));
    assert.deepEqual((await rowsOf(last, 'ablation')).map((r) => r['drop_top']).filter((d, i, a) => a.indexOf(d) === i), [0], '--no-ablation: intact perplexity only');
    // A rerun over an earlier, fuller analysis leaves none of its files behind.
    await cp(join(analysed, 'analysis'), join(last, 'analysis'), { recursive: true });
    assert.equal((await analyzeRun(last, '--checkpoints', 'last', '--no-ablation', '--no-plots')).code, 0);
    assert.deepEqual((await readdir(join(last, 'analysis'))).filter((f) => f.endsWith('.png')), []);
    assert.ok((await rowsOf(last, 'dynamics')).every((r) => r['step'] === 4));
  });

  it('--probe TASKS: evaluation items are the probe, by task, and each task\'s accuracy is scored intact and under DropTop-1 and -1&2', async () => {
    const tasks = await copyOfRun('tasks');
    const a = await analyzeRun(tasks, '--probe', 'piqa', '--file', `piqa=${PIQA}`, '--limit', '2', '--window', '100');
    assert.equal(a.code, 0, a.err);
    assert.match(a.err, /piqa: 2 items from .*piqa\.jsonl/);
    assert.match(a.err, /probe set: 2 documents, \d+ tokens from evaluation items of piqa/);
    // Routing metrics are per task: the one "domain" is piqa.
    const domains = await query(`SELECT DISTINCT domain FROM '${tasks}/analysis/specialisation.parquet'`);
    assert.deepEqual(domains.rows.map((r) => r['domain']), ['piqa']);
    const acc = await rowsOf(tasks, 'ablation_accuracy', 'step, drop_top');
    assert.deepEqual(acc.map((r) => [r['step'], r['drop_top'], r['task'], r['items']]), [[2, 0, 'piqa', 2], [2, 1, 'piqa', 2], [2, 2, 'piqa', 2], [4, 0, 'piqa', 2], [4, 1, 'piqa', 2], [4, 2, 'piqa', 2]]);
    for (const r of acc) {
      // Accuracy over 2 items is a multiple of 1/2; the delta is against the same step's intact accuracy.
      assert.ok(Math.abs(num(r['accuracy']) * 2 - Math.round(num(r['accuracy']) * 2)) < 1e-9, show(r));
      const intact = acc.find((x) => x['step'] === r['step'] && x['drop_top'] === 0)!;
      assert.ok(Math.abs(num(r['delta_accuracy']) - (num(r['accuracy']) - num(intact['accuracy']))) < 1e-12, show(r));
    }
    const files = await readdir(join(tasks, 'analysis'));
    assert.ok(files.includes('ablation_accuracy.parquet') && files.includes('ablation-accuracy.png'), files.join(', '));
    const meta = await sharp(join(tasks, 'analysis', 'ablation-accuracy.png')).metadata();
    assert.ok(meta.width! > 200 && meta.height! > 150, `${meta.width}×${meta.height}`);
    const md = await readFile(join(tasks, 'analysis', 'analysis.md'), 'utf8');
    assert.match(md, /Expert ablation \(task accuracy, %\)/);
    assert.match(md, /^\| 4 \| piqa \| 2 \| \d+\.\d \| \d+\.\d \(-?\d+\.\d\) \| \d+\.\d \(-?\d+\.\d\) \|$/m);
    // Intact accuracy is what pipeline eval reports for the same checkpoint and items.
    const ev = await runPipelineCli(['eval', tasks, '--tasks', 'piqa', '--file', `piqa=${PIQA}`, '--limit', '2', '--checkpoint', 'all']);
    assert.equal(ev.code, 0, ev.err);
    const evalAcc = await query(`SELECT step, value FROM '${tasks}/eval/results-*.parquet' WHERE protocol = 'libmoe' AND metric = 'accuracy' AND "group" = 'group_average' ORDER BY step`);
    assert.deepEqual(evalAcc.rows.map((r) => [num(r['step']), num(r['value'])]), acc.filter((r) => r['drop_top'] === 0).map((r) => [num(r['step']), num(r['accuracy'])]));
  });

  it('--probe: a mix of task names and files, and task options without tasks, are refused', async () => {
    assert.deepEqual(probeKind(['piqa,arc_easy', 'lambada']), { tasks: ['piqa', 'arc_easy', 'lambada'] }, 'comma-separated, as pipeline eval --tasks');
    assert.deepEqual(probeKind(['a,b.jsonl']), { files: ['a,b.jsonl'] }, 'a path keeps its commas');
    const mixed = await analyzeRun(trained, '--probe', 'piqa', '--probe', PIQA);
    assert.equal(mixed.code, 2);
    assert.match(mixed.err, /--probe mixes task names \(piqa\) and files/);
    const stray = await analyzeRun(trained, '--data', 'somewhere');
    assert.equal(stray.code, 2);
    assert.match(stray.err, /--data is for --probe TASKS/);
    const badFile = await analyzeRun(trained, '--probe', 'piqa', '--file', `arc_easy=${PIQA}`);
    assert.equal(badFile.code, 2);
    assert.match(badFile.err, /--file expects TASK=PATH for a task in --probe/);
  });

  it('bad input: missing run directory, bad --checkpoints, unknown step, no RUN_DIR', async () => {
    const missing = await analyzeRun(join(root, 'no-such-run'));
    assert.equal(missing.code, 1);
    assert.ok(missing.err.includes(`${join(root, 'no-such-run')} is not a run directory (no config.yaml)`), missing.err);
    const bad = await analyzeRun(trained, '--checkpoints', 'step-x');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--checkpoints: expected all, last or step-N\[,step-M\.\.\.\], got "step-x"/);
    const unknown = await analyzeRun(trained, '--checkpoints', 'step-2,step-3');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no checkpoint step-3; the run has step-2, step-4/);
    const none = await analyzeRun();
    assert.equal(none.code, 2);
    assert.match(none.err, /missing RUN_DIR/);
    assert.ok(!(await readdir(trained)).includes('analysis'), 'failed analyses write nothing');
  });
});
