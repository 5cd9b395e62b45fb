import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainChildEnv } from '../support/child-env.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(process.cwd(), 'bin/pipeline.js');
function cli(...args: string[]): { code: number; out: string; err: string } {
  return cliWith({}, ...args);
}
function cliWith(env: Record<string, string>, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: plainChildEnv(env) });
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
  for (const verb of ['pipeline run [file]', 'pipeline report [run-dir]', 'pipeline tokenizer', 'pipeline inspect [files..]', 'pipeline completion', '--version']) assert.ok(r.out.includes(verb), verb);
  const bare = cli();
  assert.equal(bare.code, 2);
  assert.equal(bare.out, r.out, 'a bare pipeline prints the same help');
});

test('every verb answers --help with its own usage', () => {
  for (const [args, expected] of [[['run'], 'Usage: pipeline run FILE'], [['report'], 'Usage: pipeline report RUN_DIR'], [['tokenizer'], 'Usage: pipeline tokenizer train'],
    [['tokenizer', 'train'], 'Usage: pipeline tokenizer train'], [['inspect'], 'Usage: pipeline inspect FILES...']] as const) {
    const r = cli(...args, '--help');
    assert.equal(r.code, 0, args.join(' '));
    assert.ok(r.out.startsWith(expected), `${args.join(' ')}: ${r.out.slice(0, 60)}`);
    assert.match(r.out, /Exit codes: 0 done, 1 failed, 2 /, `${args.join(' ')} states the exit codes`);
  }
});

test('an unknown verb or option is a usage error (exit 2) with a pointer to help', () => {
  const a = cli('trian');
  assert.equal(a.code, 2);
  assert.match(a.err, /unknown command "trian"/);
  const b = cli('run', 'pipelines/quickstart.yaml', '--sett', 'x=1');
  assert.equal(b.code, 2);
  assert.match(b.err, /^pipeline run: unknown option --sett\nSee: pipeline run --help\n$/);
  const c = cli('report', '--out');
  assert.equal(c.code, 2);
  assert.match(c.err, /^pipeline report: .*out.*\nSee: pipeline report --help\n$/);
});

test('help and messages are the same whatever the locale and terminal width', () => {
  const plain = cli('run', '--help');
  const other = cliWith({ LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8', COLUMNS: '40' }, 'run', '--help');
  assert.equal(other.out, plain.out);
  const unknown = cliWith({ LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' }, 'run', 'x.yaml', '--sett', 'x=1');
  assert.match(unknown.err, /unknown option --sett/);
  assert.ok(!/\x1b\[/.test(plain.out), 'no colour codes');
});

test('pipeline completion prints a shell completion script that lists the verbs', () => {
  const script = cli('completion');
  assert.equal(script.code, 0);
  assert.match(script.out, /###-begin-pipeline-completions-###/);
  const words = cli('--get-yargs-completions', 'pipeline', '');
  assert.equal(words.code, 0);
  for (const verb of ['run', 'report', 'tokenizer', 'inspect']) assert.match(words.out, new RegExp(`^${verb}`, 'm'), verb);
});

test('pipeline --help and a verb\'s --help load neither DuckDB, Arrow, TensorFlow.js nor tokenizers', () => {
  const hook = `data:text/javascript,${encodeURIComponent(`
    export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); if (/@duckdb|apache-arrow|@tensorflow|tokenizers|parquet-wasm|vega/.test(r.url)) process.stderr.write('HEAVY ' + r.url + '\\n'); return r; }`)}`;
  const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
  for (const args of [['--help'], ['run', '--help'], ['inspect', '--help'], ['report', '--help']]) {
    const r = spawnSync(process.execPath, ['--import', register, bin, ...args], { encoding: 'utf8', env: plainChildEnv() });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /HEAVY/, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('an invalid pipeline exits 2 naming the key path', () => {
  const r = cli('run', 'pipelines/quickstart.yaml', '--dry-run', '--set', 'trainer.lr=abc');
  assert.equal(r.code, 2);
  assert.match(r.err, /trainer\.lr: expected a positive number, got "abc"/);
  const m = cli('run', 'no/such.yaml');
  assert.equal(m.code, 2);
  assert.match(m.err, /no\/such\.yaml: invalid pipeline\n {2}cannot read the pipeline file: ENOENT/);
});

test('run --dry-run refuses a router option the router does not declare, with the full key path', () => {
  const r = cli('run', 'pipelines/quickstart.yaml', '--dry-run', '--set', 'model.moe.options.bogus_option=3');
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /model\.moe\.options\.bogus_option: unknown option for router "[a-z_0-9]+".*\(from --set model\.moe\.options\.bogus_option=3\)/);
});

test('run --dry-run prints the resolved pipeline and creates nothing', () => {
  const r = cli('run', 'pipelines/quickstart.yaml', '--dry-run', '--set', 'trainer.steps=7', '--set', 'trainer.warmupSteps=0', '--out', '/nonexistent-dir-for-test');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /steps: 7/);
  assert.match(r.out, /dir: \/nonexistent-dir-for-test/);
  assert.ok(!existsSync('/nonexistent-dir-for-test'));
});

test('run with data files that match nothing exits 2 naming them and leaves no run directory (defect 5)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-run-'));
  try {
    const r = cli('run', 'pipelines/quickstart.yaml', '--set', 'data.files=[no-such-dir/*.jsonl.zst]', '--out', dir);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /data\.files: 'no-such-dir\/\*\.jsonl\.zst' matches no file/);
    assert.deepEqual(readdirSync(dir), [], 'no run directory left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokenizer train validates its arguments, then trains on the files and writes a loadable tokenizer.json', async () => {
  assert.equal(cli('tokenizer', 'train', '--out', 't.json').code, 2);
  const bad = cli('tokenizer', 'train', '--files', 'a.jsonl', '--out', 't.json', '--vocab-size', 'lots');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--vocab-size: expected a positive integer, got "lots"/);
  assert.match(cli('tokenizer', 'train', '--out', 't.json').err, /^pipeline tokenizer: missing --files\n/);
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
