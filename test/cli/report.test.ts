import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeReport } from '../../src/cli/report/write-report.js';
import { makeSyntheticRun } from './make-synthetic-run.js';

test('report draws every plot as a PNG and writes a text summary from the Parquet tables', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-report-'));
  const made = await makeSyntheticRun(runs, { steps: 40, shape: { layers: 3, experts: 6, topK: 2, batchSize: 3, seqLen: 16 } });
  assert.equal(made.code, 0, made.stderr);
  const [id] = await readdir(runs);
  const dir = join(runs, id!);
  const r = await writeReport(dir);
  assert.deepEqual([...r.files].sort(), ['aux.png', 'domains.png', 'entropy.png', 'expert-load.png', 'loss.png', 'maxvio.png', 'report.md']);
  for (const f of r.files.filter((x) => x.endsWith('.png'))) {
    const meta = await sharp(join(dir, 'report', f)).metadata();
    assert.equal(meta.format, 'png', f);
    assert.ok(meta.width! > 400 && meta.height! > 200, `${f}: ${meta.width}×${meta.height}`);
  }
  const md = await readFile(join(dir, 'report', 'report.md'), 'utf8');
  assert.match(md, new RegExp(`^# Run ${id}`));
  assert.match(md, /steps 1–40 \(40 rows\), 1920 tokens/);
  assert.match(md, /last eval \(step 40\): loss/);
  assert.equal(md.split('\n').filter((l) => /^\| \d+ \| /.test(l) && l.split('|').length === 11).length, 3, 'one routing row per layer');
  assert.match(md, /\| RedPajamaGithub \| 0 \| \d+ \| 0\.\d{3} \|/);
  assert.match(md, /!\[expert-load\]\(expert-load\.png\)/);
});

test('report on a run with nothing flushed yet says so', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-report-'));
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(join(runs, 'empty'));
  await writeFile(join(runs, 'empty', 'config.yaml'), 'name: x\n');
  await assert.rejects(writeReport(join(runs, 'empty')), /no metrics-\*\.parquet yet/);
});

test('report on a run in progress stops at the last step that every table holds completely', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-report-'));
  const made = await makeSyntheticRun(runs, { steps: 20, shape: { layers: 3, experts: 6, topK: 2, batchSize: 3, seqLen: 16 } });
  assert.equal(made.code, 0, made.stderr);
  const [id] = await readdir(runs);
  const dir = join(runs, id!);
  // What an interrupted writer of the old sink left: step 21 complete in metrics, only layer 0 in the routing tables.
  const { query } = await import('../sinks/duckdb.js');
  await query(`COPY (SELECT * REPLACE (21 AS step) FROM read_parquet('${dir}/metrics-*.parquet') WHERE step = 20) TO '${dir}/metrics-00099.parquet' (FORMAT parquet)`);
  for (const t of ['layers', 'experts', 'domains']) {
    await query(`COPY (SELECT * REPLACE (21 AS step) FROM read_parquet('${dir}/routing/${t}-*.parquet') WHERE step = 20 AND layer = 0) TO '${dir}/routing/${t}-00099.parquet' (FORMAT parquet)`);
  }
  await writeReport(dir);
  const md = await readFile(join(dir, 'report', 'report.md'), 'utf8');
  assert.match(md, /steps 1–20 \(20 rows\)/);
  assert.match(md, /steps after 20 are not yet in every table \(seen up to 21\)/);
  assert.equal(md.split('\n').filter((l) => /^\| \d+ \| /.test(l) && l.split('|').length === 11).length, 3, 'routing rows for every layer, not layer 0 alone');
});
