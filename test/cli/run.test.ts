import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCommand } from '../../src/cli/run/command.js';
import { loadPipeline, validatePipeline } from '../../src/config/load.js';
import { query } from '../sinks/duckdb.js';
import { fakeTrainer } from './fake-trainer.js';
import { makeSyntheticRun } from './make-synthetic-run.js';
import type { FakeShape } from '../sinks/fake-steps.js';

const shape: FakeShape = { layers: 2, experts: 4, topK: 2, batchSize: 2, seqLen: 8 };

async function onlyRun(runsDir: string): Promise<string> {
  const [id] = await readdir(runsDir);
  return join(runsDir, id!);
}

test('run creates runs/<run-id>/ with the resolved config (seed, backend, versions) and the statistics tables', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  const r = await makeSyntheticRun(runs, { steps: 30, shape });
  assert.equal(r.code, 0, r.stderr);
  const dir = await onlyRun(runs);
  assert.match(dir, /quickstart-\d{8}-\d{6}$/);
  const saved = parseYaml(await readFile(join(dir, 'config.yaml'), 'utf8')) as Record<string, unknown> & { run: Record<string, any> };
  assert.equal(saved.run.backend.requested, 'auto');
  assert.equal(saved.run.backend.resolved, 'cpu', 'the backend the trainer reported is recorded');
  assert.deepEqual(saved.run.seed, { data: 1234, trainer: 42 });
  assert.equal(saved.run.versions.node, process.versions.node);
  for (const pkg of ['apache-arrow', 'parquet-wasm', '@tensorflow/tfjs-core', 'tokenizers']) assert.match(saved.run.versions[pkg], /^\d+\.\d+\.\d+/, pkg);
  const { run: _run, ...pipeline } = saved;
  assert.equal(validatePipeline(pipeline, 'config.yaml').trainer.steps, 30, 'config.yaml is itself a valid pipeline');
  assert.equal((await loadPipeline(join(dir, 'config.yaml'))).config.trainer.steps, 30, 'pipeline run RUN_DIR/config.yaml repeats the run');
  const m = await query(`SELECT count(*)::INT n FROM read_parquet('${dir}/metrics-*.parquet')`);
  assert.equal(m.rows[0]!.n, 30);
  assert.match(r.stderr, /done: 30 steps/);
  assert.match(r.stderr, /report: pipeline report /);
});

test('progress: periodic lines off a TTY; on a TTY one line rewritten in place, then a summary', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  let tty = '';
  const slowTrainer = fakeTrainer(shape, { onStep: () => new Promise((r) => setTimeout(r, 3)) });
  const code = await runCommand(['pipelines/quickstart.yaml', '--out', runs, '--set', 'trainer.steps=40', '--set', 'trainer.warmupSteps=0', '--set', 'trainer.evalEvery=20'],
    { trainer: slowTrainer, stderr: (s) => { tty += s; }, stdout: () => {}, tty: true, progressEveryMs: 20 });
  assert.equal(code, 0);
  assert.match(tty, /\r\x1b\[2Kstep \d+\/40 \(\d+%\) \| [\d.k]+ tok\/s \| loss [\d.]+ \| balance_loss [\d.e-]+ router_z_loss [\d.e-]+ \| ETA /);
  assert.match(tty, /eval @ step 40: loss/);
  assert.match(tty, /done: 40 steps/);

  let plain = '';
  await runCommand(['pipelines/quickstart.yaml', '--out', runs, '--set', 'trainer.steps=40', '--set', 'trainer.warmupSteps=0'],
    { trainer: slowTrainer, stderr: (s) => { plain += s; }, stdout: () => {}, tty: false, progressEveryMs: 20 });
  assert.ok(!plain.includes('\r'), 'no carriage returns off a TTY');
  assert.ok(plain.split('\n').filter((l) => l.startsWith('step ')).length >= 2, 'periodic progress lines');
});

test('resume after a crash continues from the last checkpoint without duplicating statistics', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  const crashed = await makeSyntheticRun(runs, { steps: 60, shape, crashAfter: 47 });
  assert.notEqual(crashed.code, 0);
  assert.match(crashed.stderr, /simulated trainer crash after step 47/);
  const dir = await onlyRun(runs);
  const before = await query(`SELECT max(step)::INT s FROM read_parquet('${dir}/metrics-*.parquet')`);
  assert.equal(before.rows[0]!.s, 47, 'the failing run still flushed what it computed');

  let err = '';
  const code = await runCommand(['--resume', dir, '--set', 'stats.flushEverySeconds=5'], { trainer: fakeTrainer(shape), stderr: (s) => { err += s; }, stdout: () => {}, tty: false });
  assert.equal(code, 0, err);
  assert.match(err, /resuming after step 40/);
  for (const t of ['metrics', 'routing/layers', 'routing/experts', 'eval']) {
    const q = await query(`SELECT count(*)::INT n, count(DISTINCT (step, ${t === 'routing/experts' ? 'layer, expert' : t === 'routing/layers' ? 'layer' : '1'}))::INT d, max(step)::INT mx FROM read_parquet('${dir}/${t}-*.parquet')`);
    assert.equal(q.rows[0]!.n, q.rows[0]!.d, `${t}: no duplicated rows`);
    assert.equal(q.rows[0]!.mx, 60, `${t}: reaches the last step`);
  }
  const steps = await query(`SELECT count(DISTINCT step)::INT n FROM read_parquet('${dir}/metrics-*.parquet')`);
  assert.equal(steps.rows[0]!.n, 60, 'every step present exactly once');
  const saved = parseYaml(await readFile(join(dir, 'config.yaml'), 'utf8')) as { run: { resumedFromStep: number; source: string; overrides: string[] }; stats: { flushEverySeconds: number } };
  assert.equal(saved.run.resumedFromStep, 40);
  assert.equal(saved.run.source, 'pipelines/quickstart.yaml', 'the original pipeline file is kept');
  assert.ok(saved.run.overrides.includes('trainer.steps=60') && saved.run.overrides.at(-1) === 'stats.flushEverySeconds=5', 'overrides accumulate');
  assert.equal(saved.stats.flushEverySeconds, 5, 'a --set on resume changes the saved pipeline');
});

test('resume refuses a run directory without checkpoints', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  await makeSyntheticRun(runs, { steps: 5, shape, extraSets: ['trainer.checkpointEvery=0'] });
  const dir = await onlyRun(runs);
  await assert.rejects(runCommand(['--resume', dir], { trainer: fakeTrainer(shape), stderr: () => {}, stdout: () => {} }), /no checkpoint under .*checkpoints to resume from/);
});
