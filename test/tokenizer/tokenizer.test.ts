import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteLevelAlphabet } from 'tokenizers';
import { byteLevelChars } from '../../src/tokenizer/byte-level-alphabet.js';
import { shrinkByteLevelBpe } from '../../src/tokenizer/bpe-shrink.js';
import { decodeIds, encodeTexts, loadTokenizer, separatorId, vocabSize } from '../../src/tokenizer/tokenizer.js';
import { saveTokenizerJson, trainTokenizer } from '../../src/tokenizer/train-bpe.js';
import { trainTokenizerFromFiles } from '../../src/tokenizer/train-from-files.js';
import type { TokenizerJson } from '../../src/tokenizer/tokenizer-json.js';
import { sharedPath, textRecords } from '../ops/helpers.js';
import { tinyTokenizer } from './tiny-tokenizer.js';

const UNSEEN = ['naïve café — 東京都 🚀 «quotes»\ttabs\r\nand\u0000nul', '   leading spaces', 'trailing  \n\n', ''];

test('a trained tokenizer has exactly the requested vocabulary, <STORY_SEP> as special id 0', async () => {
  const { tokenizer, json } = await tinyTokenizer();
  assert.equal(vocabSize(tokenizer), 320);
  assert.equal(separatorId(tokenizer), 0);
  assert.equal(tokenizer.idToToken(0), '<STORY_SEP>');
  const parsed = JSON.parse(json) as TokenizerJson;
  assert.equal(Object.keys((parsed.model as { vocab: object }).vocab).length, 320);
  assert.deepEqual(parsed.added_tokens.map((t) => [t.id, t.content, t.special]), [[0, '<STORY_SEP>', true]]);
  const [ids] = await encodeTexts(tokenizer, ['one doc<STORY_SEP>next']);
  assert.ok(Array.from(ids!).includes(0), 'the separator written in text is one token');
});

test('the trained tokenizer.json loads back from a file and encodes identically', async () => {
  const trained = await tinyTokenizer();
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-tok-'));
  try {
    const path = join(dir, 'tokenizer.json');
    saveTokenizerJson(trained, path);
    const loaded = loadTokenizer(path);
    assert.equal(vocabSize(loaded), 320);
    const texts = textRecords(20).map((r) => r.text);
    assert.deepEqual(await encodeTexts(loaded, texts), await encodeTexts(trained.tokenizer, texts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training is reproducible: the same sample gives the same tokenizer.json byte for byte', async () => {
  const texts = textRecords(400).map((r) => r.text);
  const again = await trainTokenizer(texts, { vocabSize: 320 });
  assert.equal(again.json, (await tinyTokenizer()).json);
});

test('numbers are split into single digits', async () => {
  const { tokenizer } = await tinyTokenizer();
  const encoding = await tokenizer.encode('in 2024 we saw 1234567 tokens', null, { addSpecialTokens: false });
  const digitTokens = encoding.getTokens().filter((t) => /\d/.test(t));
  assert.deepEqual(digitTokens.map((t) => t.replace('Ġ', '')), ['2', '0', '2', '4', '1', '2', '3', '4', '5', '6', '7']);
  assert.ok(digitTokens.every((t) => /^Ġ?\d$/.test(t) || /^\d$/.test(t)), `digits merged: ${digitTokens.join(' ')}`);
});

test('decode(encode(x)) == x exactly, also for bytes never seen in training', async () => {
  const { tokenizer } = await tinyTokenizer();
  const texts = [...textRecords(50).map((r) => r.text), ...UNSEEN];
  const ids = await encodeTexts(tokenizer, texts);
  for (let i = 0; i < texts.length; i++) assert.equal(await decodeIds(tokenizer, ids[i]!), texts[i]);
});

test('the sample stops at sampleDocs documents or sampleChars characters', async () => {
  const texts = textRecords(300).map((r) => r.text);
  assert.deepEqual((await trainTokenizer(texts, { vocabSize: 260, sampleDocs: 7 })).sample, { docs: 7, chars: texts.slice(0, 7).join('').length });
  const byChars = await trainTokenizer(texts, { vocabSize: 260, sampleChars: 1000 });
  assert.ok(byChars.sample.chars >= 1000 && byChars.sample.chars - texts[byChars.sample.docs - 1]!.length < 1000);
});

test('asking for more pieces than the sample can give fails with a clear message', async () => {
  await assert.rejects(trainTokenizer(['tiny sample text'], { vocabSize: 8000 }), /yields only \d+ pieces .* 8000 requested/);
  await assert.rejects(trainTokenizer([], { vocabSize: 300 }), /sample is empty/);
});

test('the byte alphabet is the one tokenizers uses, in byte order', () => {
  const ours = byteLevelChars();
  assert.equal(new Set(ours).size, 256);
  assert.deepEqual([...ours].sort(), [...byteLevelAlphabet()].sort());
  assert.equal(ours[0x41], 'A');
  assert.equal(ours[0x20], 'Ġ');
  assert.equal(ours[0x0a], 'Ċ');
});

test('shrinking keeps a merge-order prefix, all bytes, and ids specials → bytes → merges', () => {
  const bytes = byteLevelChars();
  const trained: TokenizerJson = {
    added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, abb: 3, ba: 4 }, merges: [['a', 'b'], 'ab b', ['b', 'a']] },
  };
  const { json, merges } = shrinkByteLevelBpe(trained, { vocabSize: 2 + 256 + 2, specialTokens: ['<S>', '<P>'] });
  const model = json.model as { vocab: Record<string, number>; merges: [string, string][] };
  assert.equal(merges, 2);
  assert.deepEqual(model.merges, [['a', 'b'], ['ab', 'b']]);
  assert.equal(model.vocab['<S>'], 0);
  assert.equal(model.vocab[bytes[0]!], 2);
  assert.equal(model.vocab['ab'], 258);
  assert.equal(model.vocab['abb'], 259);
  assert.equal(model.vocab['ba'], undefined);
  assert.throws(() => shrinkByteLevelBpe(trained, { vocabSize: 100, specialTokens: [] }), /vocabSize must be an integer >= 256/);
  const broken = { ...trained, model: { type: 'BPE', vocab: {}, merges: [['xy', 'z']] } } as TokenizerJson;
  assert.throws(() => shrinkByteLevelBpe(broken, { vocabSize: 258, specialTokens: [] }), /uses a piece no earlier merge made/);
});

test('the Phi-3 tokenizer.json loads; chat tokens stay single special tokens', async (t) => {
  const path = sharedPath('data/tokenizers/phi-3-mini/tokenizer.json');
  if (!path) return t.skip('../shared/data/tokenizers/phi-3-mini absent');
  const phi = loadTokenizer(path);
  assert.equal(separatorId(phi), 32000, '<|endoftext|> is the separator when <STORY_SEP> is absent');
  const [ids] = await encodeTexts(phi, ['<|user|>\nHow many experts?<|end|>\n<|assistant|>']);
  const list = Array.from(ids!);
  assert.equal(list[0], 32010);
  assert.ok(list.includes(32007) && list.includes(32001));
  assert.equal(list.filter((id) => id >= 32000).length, 3);
  assert.match(await decodeIds(phi, ids!), /^<\|user\|>.*How many experts\?<\|end\|>.*<\|assistant\|>$/s);
});

test('an 8000-piece BPE trained on the SlimPajama sample round-trips every document', async (t) => {
  const path = sharedPath('data/slimpajama/example_shared_0.jsonl');
  if (!path) return t.skip('../shared/data/slimpajama absent');
  const texts = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { text: string }).text);
  const trained = await trainTokenizer(texts, { vocabSize: 8000 });
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-tok-'));
  try {
    writeFileSync(join(dir, 'tokenizer.json'), trained.json);
    const tokenizer = loadTokenizer(join(dir, 'tokenizer.json'));
    assert.equal(vocabSize(tokenizer), 8000);
    const ids = await encodeTexts(tokenizer, texts);
    let mismatches = 0;
    for (let i = 0; i < texts.length; i++) if ((await decodeIds(tokenizer, ids[i]!)) !== texts[i]) mismatches++;
    assert.equal(mismatches, 0, `${mismatches} of ${texts.length} documents did not round-trip`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading a missing or broken tokenizer.json names the file', () => {
  assert.throws(() => loadTokenizer('/nonexistent/tokenizer.json'), /file not found: \/nonexistent\/tokenizer\.json/);
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-tok-'));
  try {
    writeFileSync(join(dir, 'bad.json'), '{"model": 1}');
    assert.throws(() => loadTokenizer(join(dir, 'bad.json')), /cannot load .*bad\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trainTokenizerFromFiles samples SlimPajama files and honours the error policy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-tok-'));
  try {
    const lines = textRecords(200).map((r) => JSON.stringify({ text: r.text, meta: { redpajama_set_name: r.domain } }));
    writeFileSync(join(dir, 'a.jsonl'), `${lines.join('\n')}\n`);
    const trained = await trainTokenizerFromFiles({ files: dir, vocabSize: 300, sampleDocs: 150 });
    assert.equal(vocabSize(trained.tokenizer), 300);
    assert.equal(trained.sample.docs, 150);
    writeFileSync(join(dir, 'b.jsonl'), `${lines[0]}\nnot json\n`);
    await assert.rejects(trainTokenizerFromFiles({ files: join(dir, 'b.jsonl'), vocabSize: 260 }), /b\.jsonl:2: invalid_json/);
    const skipped = await trainTokenizerFromFiles({ files: join(dir, 'b.jsonl'), vocabSize: 258, onError: 'skip' });
    assert.equal(skipped.sample.docs, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
