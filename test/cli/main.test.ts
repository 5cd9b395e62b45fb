import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(process.cwd(), 'bin/pipeline.js');
function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('--version prints the package version', () => {
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  const r = cli('--version');
  assert.equal(r.code, 0);
  assert.equal(r.out.trim(), `moeflow ${version}`);
});

test('--help lists every verb; without arguments it prints help and exits 2', () => {
  const r = cli('--help');
  assert.equal(r.code, 0);
  for (const verb of ['run FILE', 'report RUN_DIR', 'tokenizer train', 'inspect']) assert.ok(r.out.includes(verb), verb);
  assert.equal(cli().code, 2);
});

test('every verb answers --help with its own usage', () => {
  for (const [verb, expected] of [['run', 'Usage: pipeline run FILE'], ['report', 'Usage: pipeline report RUN_DIR'], ['tokenizer', 'Usage: pipeline tokenizer train']] as const) {
    const r = cli(verb, '--help');
    assert.equal(r.code, 0, verb);
    assert.ok(r.out.startsWith(expected), `${verb}: ${r.out.slice(0, 60)}`);
  }
});

test('an unknown verb or option is a usage error (exit 2) with a pointer to help', () => {
  const a = cli('trian');
  assert.equal(a.code, 2);
  assert.match(a.err, /unknown command "trian"/);
  const b = cli('run', 'pipelines/quickstart.yaml', '--sett', 'x=1');
  assert.equal(b.code, 2);
  assert.match(b.err, /pipeline run: .*--sett.*\nSee: pipeline run --help/);
});

test('an invalid pipeline exits 2 naming the key path', () => {
  const r = cli('run', 'pipelines/quickstart.yaml', '--dry-run', '--set', 'trainer.lr=abc');
  assert.equal(r.code, 2);
  assert.match(r.err, /trainer\.lr: expected a positive number, got "abc"/);
  const m = cli('run', 'no/such.yaml');
  assert.equal(m.code, 2);
  assert.match(m.err, /no\/such\.yaml: invalid pipeline\n {2}cannot read the pipeline file: ENOENT/);
});

test('run --dry-run prints the resolved pipeline and creates nothing', () => {
  const r = cli('run', 'pipelines/quickstart.yaml', '--dry-run', '--set', 'trainer.steps=7', '--set', 'trainer.warmupSteps=0', '--out', '/nonexistent-dir-for-test');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /steps: 7/);
  assert.match(r.out, /dir: \/nonexistent-dir-for-test/);
  assert.ok(!existsSync('/nonexistent-dir-for-test'));
});

test('run with data files that match nothing fails with exit 1 naming them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-run-'));
  try {
    const r = cli('run', 'pipelines/quickstart.yaml', '--set', 'data.files=[no-such-dir/*.jsonl.zst]', '--out', dir);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /no-such-dir/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every verb answers --help with its usage and exit 0', () => {
  for (const verb of ['run', 'report', 'inspect', 'tokenizer']) {
    const r = cli(verb, '--help');
    assert.equal(r.code, 0, `${verb}: ${r.err}`);
    assert.match(r.out, /Usage: pipeline /, verb);
  }
});

test('tokenizer train validates its arguments, then trains on the files and writes a loadable tokenizer.json', async () => {
  assert.equal(cli('tokenizer', 'train', '--out', 't.json').code, 2);
  const bad = cli('tokenizer', 'train', '--files', 'a.jsonl', '--out', 't.json', '--vocab-size', 'lots');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--vocab-size: expected a positive integer, got "lots"/);
  const missing = cli('tokenizer', 'train', '--files', 'no-such-dir/x.jsonl', '--out', 't.json');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no-such-dir/);
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-tok-'));
  try {
    const out = join(dir, 'sub', 'tokenizer.json');
    const r = cli('tokenizer', 'train', '--files', 'fixtures/slimpajama/*.jsonl.zst', '--out', out, '--vocab-size', '512', '--sample-docs', '200');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /512 pieces/);
    const { loadTokenizer, vocabSize, separatorId } = await import('../../src/tokenizer/tokenizer.js');
    const tok = loadTokenizer(out);
    assert.equal(vocabSize(tok), 512);
    assert.equal(separatorId(tok), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
