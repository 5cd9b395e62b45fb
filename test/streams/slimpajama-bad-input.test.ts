import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { slimPajama, type TextRecord } from '../../src/streams/slimpajama/slimpajama.js';
import type { ReadCounts } from '../../src/streams/slimpajama/source-stats.js';
import { NO_ZSTD, docs, drain, hasZstdCli, tempDir, writeGzip, writeText, writeZstd } from './support/fixtures.js';

const good = (text: string, domain = 'RedPajamaC4') => JSON.stringify({ text, meta: { redpajama_set_name: domain } });

/** Each bad line, the reason it must be skipped with, and the line it sits on in `mixed`. */
const badLines: [string | Buffer, string][] = [
  ['{"text": "unterminated', 'invalid_json'],
  [Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
  ['{"meta": {"redpajama_set_name": "RedPajamaC4"}}', 'missing_text'],
  ['{"text": 42}', 'text_not_string'],
  ['{"text": null}', 'text_not_string'],
  ['["text"]', 'not_an_object'],
  ['"just a string"', 'not_an_object'],
];

/** good, bad_1, good, bad_2, …, good, then a cut last line without newline. */
function mixedFile(): { bytes: Buffer; goodCount: number } {
  const parts: Buffer[] = [];
  let goodCount = 0;
  for (const [bad] of badLines) {
    parts.push(Buffer.from(good(`ok ${goodCount++}`) + '\n'));
    parts.push(Buffer.concat([Buffer.from(bad), Buffer.from('\n')]));
  }
  parts.push(Buffer.from(good(`ok ${goodCount++}`) + '\n\n   \n'));
  parts.push(Buffer.from('{"text": "the file was cut in the mid'));
  return { bytes: Buffer.concat(parts), goodCount };
}

function assertReconciles(counts: ReadCounts): void {
  assert.equal(counts.read, counts.used + counts.skipped);
  assert.equal(counts.skipped, Object.values(counts.skippedByReason).reduce((a, b) => a + (b ?? 0), 0));
}

test('under onError "fail" the first bad line throws, naming file, line and reason', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { bytes } = mixedFile();
    for (let i = 0; i < badLines.length; i++) {
      // A file holding only the good line and bad line i.
      const lines = bytes.toString('latin1').split('\n');
      const file = writeText(join(dir, `bad${i}.jsonl`), Buffer.from(`${lines[0]}\n${lines[2 * i + 1]}\n`, 'latin1'));
      const stage = slimPajama({ files: [file] })();
      await assert.rejects(drain(stage), new RegExp(`^Error: ${file.replace(/[.]/g, '\\.')}:2: ${badLines[i]![1]}: `));
    }
    const failed = slimPajama({ files: [join(dir, 'bad0.jsonl')] })();
    await assert.rejects(drain(failed));
    assert.throws(() => failed.state(), /no resumable state after a failure/, 'a saved state would skip the bad line silently');
    const cut = writeText(join(dir, 'cut.jsonl'), `${good('a')}\n{"text": "cut her`);
    await assert.rejects(drain(slimPajama({ files: [cut] })()), /cut\.jsonl:2: truncated_last_line: last line has no newline/);
  } finally { cleanup(); }
});

test('under onError "skip" every bad line is counted per file and per reason, and the counts reconcile', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { bytes, goodCount } = mixedFile();
    const file = writeText(join(dir, 'mixed.jsonl'), bytes);
    const stage = slimPajama({ files: [file], onError: 'skip' })();
    const records = await drain(stage);
    assert.deepEqual(records.map((r) => r.text), Array.from({ length: goodCount }, (_, i) => `ok ${i}`));
    assert.deepEqual(records.map((r) => r.provenance.line), Array.from({ length: goodCount }, (_, i) => 2 * i + 1));
    const stats = stage.stats!() as unknown as ReadCounts & { byFile: Record<string, ReadCounts>; usedByDomain: Record<string, number> };
    const expected: Record<string, number> = { truncated_last_line: 1 };
    for (const [, reason] of badLines) expected[reason] = (expected[reason] ?? 0) + 1;
    assert.deepEqual(stats.skippedByReason, expected);
    assert.deepEqual(stats.byFile[file]!.skippedByReason, expected);
    assert.equal(stats.used, goodCount);
    assert.equal(stats.blankLines, 2);
    assert.deepEqual(stats.usedByDomain, { RedPajamaC4: goodCount });
    assertReconciles(stats);
    assertReconciles(stats.byFile[file]!);
  } finally { cleanup(); }
});

test('a document without meta.redpajama_set_name is used with domain "unknown"', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeText(join(dir, 'nometa.jsonl'), '{"text":"a"}\n{"text":"b","meta":{}}\n{"text":"c","meta":{"redpajama_set_name":7}}\n');
    const records = await drain(slimPajama({ files: [file] })());
    assert.deepEqual(records.map((r: TextRecord) => r.domain), ['unknown', 'unknown', 'unknown']);
  } finally { cleanup(); }
});

test('an empty file fails under "fail" and is counted once as empty_file under "skip"', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const empty = writeText(join(dir, 'a-empty.jsonl'), '');
    const other = writeText(join(dir, 'b.jsonl'), docs(3));
    await assert.rejects(drain(slimPajama({ files: [empty] })()), /a-empty\.jsonl:1: empty_file/);
    const stage = slimPajama({ files: [empty, other], onError: 'skip', shuffleFiles: false, partitions: 1 })();
    assert.equal((await drain(stage)).length, 3);
    const stats = stage.stats!() as unknown as ReadCounts;
    assert.deepEqual(stats.skippedByReason, { empty_file: 1 });
    assertReconciles(stats);
  } finally { cleanup(); }
});

test('a line over maxLineBytes is skipped as line_too_long, the next line is read normally', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeText(join(dir, 'long.jsonl'), `${good('x'.repeat(5000))}\n${good('fine')}\n`);
    await assert.rejects(drain(slimPajama({ files: [file], maxLineBytes: 1000 })()), /long\.jsonl:1: line_too_long: 50\d\d bytes/);
    const records = await drain(slimPajama({ files: [file], maxLineBytes: 1000, onError: 'skip' })());
    assert.deepEqual(records.map((r) => [r.text, r.provenance.line]), [['fine', 2]]);
  } finally { cleanup(); }
});

for (const format of ['gz', 'zst-cli', 'zst-js'] as const) {
  test(`a truncated .${format} file: "fail" names the file and line; "skip" keeps the lines before and counts the rest once`, { skip: format !== 'gz' && !hasZstdCli && NO_ZSTD }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const text = docs(5000);
      const name = join(dir, `t.jsonl.${format === 'gz' ? 'gz' : 'zst'}`);
      const file = format === 'gz' ? writeGzip(name, text) : writeZstd(name, text);
      const whole = readFileSync(file);
      writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const after = writeText(join(dir, 'u-after.jsonl'), docs(2, 'after'));
      const decoder = format === 'zst-js' ? 'js' : 'cli';
      await assert.rejects(drain(slimPajama({ files: [file], decoder })()), (error: Error) => {
        assert.match(error.message, /^.*t\.jsonl\.(gz|zst):\d+: corrupt_stream: /);
        return true;
      });
      const stage = slimPajama({ files: [file, after], decoder, onError: 'skip', shuffleFiles: false, partitions: 1 })();
      const records = await drain(stage);
      const fromCut = records.filter((r) => r.provenance.file === file);
      assert.ok(fromCut.length > 0 && fromCut.length < 5000, `${fromCut.length} records before the cut`);
      assert.deepEqual(fromCut.map((r) => r.provenance.line), fromCut.map((_, i) => i + 1));
      assert.deepEqual(records.slice(fromCut.length).map((r) => r.text), ['after 0 ', 'after 1 lorem ipsum ']);
      const stats = stage.stats!() as unknown as { byFile: Record<string, ReadCounts> };
      assert.deepEqual(stats.byFile[file]!.skippedByReason, { corrupt_stream: 1 });
      assertReconciles(stats.byFile[file]!);
    } finally { cleanup(); }
  });
}

test('a corrupt (not truncated) .zst file is reported by the CLI decoder via its checksum', { skip: !hasZstdCli && NO_ZSTD }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeZstd(join(dir, 'c.jsonl.zst'), docs(3000), ['--check']);
    const bytes = readFileSync(file);
    for (let i = 200; i < bytes.length - 100; i += 97) bytes[i] ^= 0x5a;
    writeFileSync(file, bytes);
    await assert.rejects(drain(slimPajama({ files: [file], decoder: 'cli' })()), /c\.jsonl\.zst:\d+: corrupt_stream: .*zstd-cli could not decode/);
  } finally { cleanup(); }
});

test('a file that disappears after the file list was made is counted as unreadable_file under "skip"', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const gone = writeText(join(dir, 'a-gone.jsonl'), docs(2));
    const kept = writeText(join(dir, 'b-kept.jsonl'), docs(2));
    const flow = slimPajama({ files: [gone, kept], onError: 'skip', shuffleFiles: false, partitions: 1 });
    rmSync(gone);
    const stage = flow();
    assert.equal((await drain(stage)).length, 2);
    assert.deepEqual((stage.stats!() as unknown as ReadCounts).skippedByReason, { unreadable_file: 1 });
    const failing = slimPajama({ files: [kept], partitions: 1 });
    rmSync(kept);
    await assert.rejects(drain(failing()), /b-kept\.jsonl:1: unreadable_file: .*ENOENT/);
    if (hasZstdCli) {
      const zst = writeZstd(join(dir, 'c.jsonl.zst'), docs(2));
      const viaCli = slimPajama({ files: [zst], decoder: 'cli' });
      rmSync(zst);
      await assert.rejects(drain(viaCli()), /c\.jsonl\.zst:1: unreadable_file: .*ENOENT/);
    }
  } finally { cleanup(); }
});

test('a path that matches no file is an error before reading starts', () => {
  assert.throws(() => slimPajama({ files: ['/nonexistent/dir/*.jsonl.zst'] }), /'\/nonexistent\/dir\/\*\.jsonl\.zst' matches no file/);
});
