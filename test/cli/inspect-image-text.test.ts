import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectImageText, renderImageTextReport } from '../../src/cli/inspect/image-text.js';
import { sharedPath } from '../ops/helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/llava-synthetic', import.meta.url));

test('inspect reports records per file and reason, images found and missing, and reconciles read = used + skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-inspect-it-'));
  try {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [
      { id: 'ok', image: 'images/synth-0001.png', conversations: [{ from: 'human', value: '<image>\nQ' }, { from: 'gpt', value: 'A' }] },
      { id: 'gone', image: 'images/nope.png', conversations: [{ from: 'human', value: '<image>\nQ' }, { from: 'gpt', value: 'A' }] },
      { id: 'no-token', image: 'images/synth-0001.png', conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }] },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const files = [join(FIXTURES, 'instruct-heldout.jsonl'), bad];
    await assert.rejects(inspectImageText({ files, images: FIXTURES, workers: 1 }), /bad\.jsonl: record 1 \(line 2\) \(id gone\): missing_image/);
    const r = await inspectImageText({ files, images: FIXTURES, onError: 'skip', workers: 1 });
    assert.equal(r.files, 2);
    assert.equal(r.records.read, r.records.used + r.records.skipped);
    assert.deepEqual(r.records.skippedByReason, { missing_image: 1, image_without_token: 1 });
    assert.deepEqual(r.byFile[bad], { read: 3, used: 1, skipped: 2, skippedByReason: { missing_image: 1, image_without_token: 1 }, blankLines: 0 });
    assert.equal(r.images.missing, 1);
    assert.equal(r.images.found, r.byModality.image);
    assert.ok(r.byModality.text > 0 && r.images.bytes > 0 && r.imagesPerSecond > 0);
    assert.equal(r.tokens, undefined, 'no tokenizer, no token figures');
    const text = renderImageTextReport(r);
    assert.match(text, /skipped 2 \(missing_image 1, image_without_token 1\)/);
    assert.match(text, /images\/s/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('with a tokenizer, inspect adds tokens per sample (histogram) and the supervised share (skips without the Phi-3 tokenizer)', async (t) => {
  const tokenizer = sharedPath('data/tokenizers/phi-3-mini/tokenizer.json');
  if (!tokenizer) { t.skip('the Phi-3 tokenizer is not at ../shared/data/tokenizers/phi-3-mini'); return; }
  const r = await inspectImageText({ files: [join(FIXTURES, 'pretrain-heldout.json')], images: FIXTURES, tokenizer, workers: 1 });
  const tokens = r.tokens!;
  assert.equal(Object.values(tokens.histogram).reduce((a, b) => a + b, 0), r.records.used);
  assert.ok(tokens.supervisedShare > 0 && tokens.supervisedShare < 1, String(tokens.supervisedShare));
  assert.equal(tokens.lengthMismatch, 0, 'one-round captions pass LibMoE\'s length check');
  assert.match(renderImageTextReport(r), /supervised \d+\.\d%/);
});

test('pipeline inspect FILES --images DIR runs the image-text report (text and --json), and --on-error picks the policy', async () => {
  const { inspectCommand } = await import('../../src/cli/inspect/command.js');
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await inspectCommand(argv, { out: (s: string) => { out += s; }, err: (s: string) => { err += s; } });
    return { code, out, err };
  };
  const files = [join(FIXTURES, 'instruct-heldout.jsonl')];
  const text = await run([...files, '--images', FIXTURES, '--workers', '1']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /images\/s/);
  const json = await run([...files, '--images', FIXTURES, '--workers', '1', '--on-error', 'skip', '--json']);
  assert.equal(json.code, 0, json.err);
  const report = JSON.parse(json.out) as { records: { read: number; used: number; skipped: number } };
  assert.equal(report.records.read, 65);
  assert.equal(report.records.read, report.records.used + report.records.skipped);
  const missing = await run([...files, '--images', join(FIXTURES, 'nowhere'), '--workers', '1']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /missing_image/);
});
