/**
 * `pipeline report` includes the routing analysis when RUN_DIR/analysis/ exists: the same
 * headline tables as analysis.md (read back from the Parquet tables) and the analysis plots
 * copied beside report.md; a run without analysis gets no such section.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { analyzeCommand } from '../../src/cli/analyze/command.js';
import { writeReport } from '../../src/cli/report/write-report.js';
import { onlyRun, runPipelineCli, tinyPipeline } from '../integration/tiny-run.js';

let root: string;
let run: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'moeflow-report-analysis-'));
  const cfg = join(root, 'tiny.yaml');
  await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 1 }));
  const r = await runPipelineCli(['run', cfg, '--out', join(root, 'runs')]);
  assert.equal(r.code, 0, r.err);
  run = await onlyRun(join(root, 'runs'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

it('report.md carries the analysis tables of analysis.md and the analysis plots; none without analysis/', async () => {
  const plain = join(root, 'plain');
  await cp(run, plain, { recursive: true });
  const before = await writeReport(plain);
  assert.ok(!before.files.some((f) => f.startsWith('analysis-')));
  assert.doesNotMatch(await readFile(join(plain, 'report', 'report.md'), 'utf8'), /Routing analysis/);

  let err = '';
  assert.equal(await analyzeCommand([run], { err: (s) => { err += s; }, out: () => {} }), 0, err);
  const r = await writeReport(run);
  const plots = ['analysis-ablation.png', 'analysis-coactivation.png', 'analysis-dynamics.png', 'analysis-layer-similarity.png', 'analysis-specialisation.png'];
  assert.deepEqual(r.files.filter((f) => f.startsWith('analysis-')).sort(), plots);
  for (const p of plots) {
    assert.deepEqual(await readFile(join(run, 'report', p)), await readFile(join(run, 'analysis', p.replace(/^analysis-/, ''))), p);
    assert.equal((await sharp(join(run, 'report', p)).metadata()).format, 'png');
  }
  const report = await readFile(join(run, 'report', 'report.md'), 'utf8');
  const analysis = await readFile(join(run, 'analysis', 'analysis.md'), 'utf8');
  assert.match(report, /## Routing analysis \(pipeline analyze: checkpoints step-1, step-2\)/);
  // Every table row of analysis.md's summary (per layer, ablation) appears as is in the report.
  const tableRows = analysis.split('\n## Files')[0]!.split('\n').filter((l) => /^\| \d/.test(l));
  assert.equal(tableRows.length, 2 + 2, analysis);
  for (const l of tableRows) assert.ok(report.includes(l), `report.md lacks: ${l}`);
  assert.ok(report.includes(analysis.match(/^Universality .*$/m)![0]));
  for (const p of plots) assert.ok(report.includes(`](${p})`), p);
  assert.deepEqual((await readdir(join(run, 'report'))).filter((f) => f.startsWith('analysis-')).sort(), plots);
});
