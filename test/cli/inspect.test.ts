import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCommand } from '../../src/cli/inspect/command.js';
import { tinyTokenizer } from '../tokenizer/tiny-tokenizer.js';
import { textRecords } from '../ops/helpers.js';

/** Runs the verb, capturing stdout and stderr. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await inspectCommand(argv, { out: (t) => { stdout += t; }, err: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

function fixtureDir(): { dir: string; good: string; bad: string; tokenizer: Promise<string> } {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-inspect-'));
  const lines = textRecords(40).map((r) => JSON.stringify({ text: r.text, meta: { redpajama_set_name: r.domain } }));
  const good = join(dir, 'good.jsonl');
  writeFileSync(good, `${lines.join('\n')}\n`);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${lines[0]}\n{"text": broken\n${lines[1]}\n{"meta": {}}\n`);
  const tokenizer = tinyTokenizer().then((t) => {
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, t.json);
    return path;
  });
  return { dir, good, bad, tokenizer };
}

test('inspect --json prints one JSON object whose counts reconcile', async () => {
  const f = fixtureDir();
  try {
    const { code, stdout } = await run([f.good, f.bad, '--tokenizer', await f.tokenizer, '--seq-len', '16', '--on-error', 'skip', '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.ok, true);
    assert.deepEqual(report.records, { read: 44, used: 42, skipped: 2, skippedByReason: { invalid_json: 1, missing_text: 1 }, blankLines: 0 });
    assert.equal(report.files[f.bad].skipped, 2);
    assert.equal(report.files[f.good].docs, 40);
    const domainDocs = Object.values(report.domains as Record<string, { docs: number }>).reduce((s, d) => s + d.docs, 0);
    assert.equal(domainDocs, report.totals.docs);
    assert.equal(report.totals.docs, report.records.used);
    assert.equal(report.pack.tokensIn, report.totals.tokens + report.pack.separators);
    assert.equal(report.pack.tokensIn, report.pack.tokensPacked + report.pack.tokensDropped);
    assert.equal(report.pack.tokensPacked, report.pack.windows * 16);
    assert.equal(report.tokenizer.vocabSize, 320);
    assert.ok(report.throughput.tokensPerSecond > 0);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('with --on-error fail a bad line stops inspect with exit 1 and names file and line', async () => {
  const f = fixtureDir();
  try {
    const { code, stderr } = await run([f.bad, '--tokenizer', await f.tokenizer]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`${f.bad.replace(/[.]/g, '\\.')}:2: invalid_json`));
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('inspect can train its tokenizer on the input and save it', async () => {
  const f = fixtureDir();
  try {
    const saved = join(f.dir, 'trained.json');
    const { code, stdout } = await run([f.good, '--train-tokenizer', '300', '--save-tokenizer', saved, '--workers', '0']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /tokenizer: trained BPE .* vocab 300, separator <STORY_SEP> \(id 0\), encoder js-bpe/);
    assert.match(stdout, /packing: seq-len 1024/);
    const again = await run([f.good, '--tokenizer', saved, '--json', '--seq-len', '8']);
    assert.equal(JSON.parse(again.stdout).tokenizer.vocabSize, 300);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('wrong usage exits 2 with a message naming the verb and pointing to --help; --help prints the usage', async () => {
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^pipeline inspect: no input files given\nSee: pipeline inspect --help\n$/);
  const both = await run(['x.jsonl', '--tokenizer', 't.json', '--train-tokenizer', '8000']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give either --tokenizer or --train-tokenizer, not both/);
  const policy = await run(['x.jsonl', '--on-error', 'ignore']);
  assert.equal(policy.code, 2);
  assert.match(policy.stderr, /--on-error: expected one of "fail", "skip", got "ignore"/);
  assert.match((await run(['x.jsonl', '--seq-len', '0'])).stderr, /--seq-len: expected a positive integer, got "0"/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: pipeline inspect FILES\.\.\./);
  assert.equal(help.stderr, '');
});

test('without a tokenizer inspect reports what needs no tokens: records, bytes, domains, skips, MB/s (defect 9)', async () => {
  const f = fixtureDir();
  try {
    const { code, stdout, stderr } = await run([f.good, f.bad, '--on-error', 'skip', '--json']);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.tokenizer, null);
    assert.deepEqual(report.records, { read: 44, used: 42, skipped: 2, skippedByReason: { invalid_json: 1, missing_text: 1 }, blankLines: 0 });
    assert.equal(report.files[f.good].docs, 40);
    assert.equal(report.files[f.bad].skipped, 2);
    const goodBytes = textRecords(40).reduce((s, r) => s + Buffer.byteLength(r.text, 'utf8'), 0);
    assert.equal(report.files[f.good].bytes, goodBytes);
    const domains = Object.values(report.domains as Record<string, { docs: number; bytes: number; tokens: null }>);
    assert.equal(domains.reduce((s, d) => s + d.docs, 0), 42);
    assert.equal(domains.reduce((s, d) => s + d.bytes, 0), report.totals.bytes);
    assert.ok(domains.every((d) => d.tokens === null), 'no token counts without a tokenizer');
    assert.equal(report.pack, null);
    assert.equal(report.throughput.tokensPerSecond, null);
    assert.ok(report.throughput.textMBps >= 0);

    const text = await run([f.good]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^records: 40 read, 40 used, 0 skipped/);
    assert.match(text.stdout, /tokenizer: none/);
    assert.match(text.stdout, /throughput: [\d.]+ MB\/s of text, /);
    assert.doesNotMatch(text.stdout, /packing:|tokens\/s/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a missing tokenizer file is an error naming it (exit 1)', async () => {
  const f = fixtureDir();
  try {
    const { code, stderr } = await run([f.good, '--tokenizer', join(f.dir, 'nope.json')]);
    assert.equal(code, 1);
    assert.match(stderr, /file not found: .*nope\.json/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});
