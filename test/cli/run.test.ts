import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCommand } from '../../src/cli/run/command.js';
import { loadPipeline, validatePipeline } from '../../src/config/load.js';
import { query } from '../sinks/duckdb.js';
import { fakeTrainer } from './fake-trainer.js';
import { makeSyntheticRun } from './make-synthetic-run.js';
import type { FakeShape } from '../sinks/fake-steps.js';
import type { TrainerDriver } from '../../src/cli/run/command.js';

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

test('resume refuses a run directory without checkpoints (exit 2, naming the folder)', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  await makeSyntheticRun(runs, { steps: 5, shape, extraSets: ['trainer.checkpointEvery=0'] });
  const dir = await onlyRun(runs);
  const r = await runQuietly(['--resume', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no checkpoint under .*checkpoints to resume from/);
});

/** runCommand with the fake trainer, collecting stdout and stderr. */
async function runQuietly(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, { trainer: fakeTrainer(shape), stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, tty: false });
  return { code, stdout, stderr };
}

const quick = ['pipelines/quickstart.yaml', '--set', 'trainer.steps=3', '--set', 'trainer.warmupSteps=0'];

test('--dry-run says "valid" only when the inputs exist: every data glob, held-out glob and tokenizer file (defect 5)', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  const ok = await runQuietly([...quick, '--out', runs, '--dry-run']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /quickstart\.yaml: valid/);

  const cases: [string[], RegExp][] = [
    [['data.files=[fixtures/slimpajama/*.jsonl.zst,nowhere/*.jsonl]'], /data\.files: 'nowhere\/\*\.jsonl' matches no file/],
    [['data.heldOut.files=[nowhere/held.jsonl]'], /data\.heldOut\.files: 'nowhere\/held\.jsonl' matches no file/],
    [[`data.tokenizer={path: ${join(runs, 'no-tokenizer.json')}}`], /data\.tokenizer\.path: cannot read .*no-tokenizer\.json \(ENOENT\)/],
  ];
  for (const [sets, message] of cases) {
    const r = await runQuietly([...quick, '--out', runs, '--dry-run', ...sets.flatMap((s) => ['--set', s])]);
    assert.equal(r.code, 2, sets.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /valid/);
  }
  assert.deepEqual(await readdir(runs), [], 'a dry run creates nothing');
});

test('a run that cannot start exits 2 and leaves no run directory: missing data, unreadable tokenizer, unwritable output (defect 5)', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  const notJson = join(runs, '..', `moeflow-not-a-tokenizer-${process.pid}.json`);
  await writeFile(notJson, 'merges: [');
  const aFile = join(runs, '..', `moeflow-a-file-${process.pid}`);
  await writeFile(aFile, '');
  try {
    const cases: [string[], RegExp][] = [
      [['--out', runs, '--set', 'data.files=[nowhere/*.jsonl.zst]'], /data\.files: 'nowhere\/\*\.jsonl\.zst' matches no file/],
      [['--out', runs, '--set', `data.tokenizer={path: ${notJson}}`], /data\.tokenizer\.path: .*not-a-tokenizer.*\.json is not JSON/],
      [['--out', join(aFile, 'runs')], /out\.dir: cannot create .*runs: .*moeflow-a-file-\d+ is not a directory/],
    ];
    for (const [args, message] of cases) {
      const r = await runQuietly([...quick, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(await readdir(runs), [], `${args.join(' ')}: no run directory left behind`);
    }
  } finally {
    await rm(notJson, { force: true });
    await rm(aFile, { force: true });
  }
});

test('a fresh run whose trainer fails before its first step removes its run directory; a later failure keeps it', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-run-'));
  let stderr = '';
  const early = await runCommand([...quick, '--out', runs], { trainer: (async () => { throw new Error('cannot build the model'); }) satisfies TrainerDriver, stderr: (s) => { stderr += s; }, stdout: () => {}, tty: false });
  assert.equal(early, 1);
  assert.match(stderr, /cannot build the model/);
  assert.deepEqual(await readdir(runs), []);
  const late = await runCommand([...quick, '--out', runs], { trainer: fakeTrainer(shape, { crashAfter: 1 }), stderr: () => {}, stdout: () => {}, tty: false });
  assert.equal(late, 1);
  assert.equal((await readdir(runs)).length, 1, 'a run that computed a step keeps its statistics');
});
