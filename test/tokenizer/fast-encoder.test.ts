import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ByteLevelBpeEncoder, fastEncoderSupport } from '../../src/tokenizer/bpe-fast-encoder.js';
import { bestEncoder, jsBpeEncoder, tokenizersEncoder } from '../../src/tokenizer/batch-encoder.js';
import { EncoderPool } from '../../src/tokenizer/encoder-pool.js';
import { tokenize } from '../../src/ops/tokenize.js';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { encodeTexts, tokenizerFromJson } from '../../src/tokenizer/tokenizer.js';
import type { TokenizerJson } from '../../src/tokenizer/tokenizer-json.js';
import { Rng } from '../../src/base/random.js';
import { assertResumesExactly, sharedPath, textRecords } from '../ops/helpers.js';
import { tinyTokenizer } from './tiny-tokenizer.js';

/** Inputs where a re-implementation typically drifts from `tokenizers`. */
const TRICKY = [
  'a\u0085b  \u00a0 c\ufeffd \u3000e\u2028f\u000bg', '  5  6x', '\t\t 42\n\n  end  ', 'x<STORY_SEP><STORY_SEP>  <STORY_SEP>y',
  '<STORY_SEP', '\ud800 lone \udfff surrogates', "it's we'll 'S I'M", 'Ⅻ ½ ² ٣ 四 ①', 'naïve café — 東京都で🚀 x',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '', ' ', '\n', 'ééééééééééééééé', 'The the THE tHe',
  // Words longer than SHORT_WORD bytes take the heap path.
  'x'.repeat(200), ` ${'é'.repeat(40)}`, 'ウール県のDamvilleに生まれた父親は裕福な公証人で母親は画家の娘であった', 'the'.repeat(30),
];

async function assertSameIds(json: TokenizerJson, texts: readonly string[]): Promise<void> {
  const reference = await encodeTexts(tokenizerFromJson(JSON.stringify(json)), texts);
  const fast = new ByteLevelBpeEncoder(json);
  texts.forEach((text, i) => {
    assert.deepEqual(Array.from(fast.encode(text)), Array.from(reference[i]!), `text ${i}: ${JSON.stringify(text.slice(0, 60))}`);
  });
}

test('the JavaScript BPE gives the same ids as tokenizers on fixture and tricky texts', async () => {
  const { json } = await tinyTokenizer();
  await assertSameIds(JSON.parse(json) as TokenizerJson, [...textRecords(200).map((r) => r.text), ...TRICKY]);
});

test('it also matches plain GPT-2 byte-level (no digit split) and ignore_merges files', async () => {
  const base = JSON.parse((await tinyTokenizer()).json) as TokenizerJson;
  const texts = [...textRecords(60).map((r) => r.text), ...TRICKY];
  const plain = { ...base, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } };
  assert.ok(fastEncoderSupport(plain).ok);
  await assertSameIds(plain, texts);
  const ignoreMerges = { ...base, model: { ...base.model, ignore_merges: true } };
  await assertSameIds(ignoreMerges, texts);
});

test('seeded fuzz: random strings of risky characters encode the same as tokenizers', async () => {
  const base = JSON.parse((await tinyTokenizer()).json) as TokenizerJson;
  const pool = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ' ', ' ', '\n', '\t', '\r', '\u00a0',
    '\u3000', '\u2028', '\u0085', '\ufeff', '\u200b', "'", "'s", "'ll", '\u2019', '.', ',', '!', '-', '(', '"', '<', '>',
    '<STORY_SEP>', '<STORY', 'SEP>', 'é', 'ß', '東', 'の', '한', 'Ж', 'ع', '😀', '👍🏽', '\u0301', '½', '²', '٣', 'Ⅻ',
    '\ud800', '\udc00', 'the', ' the', 'ing', '  ', '\n\n'];
  const rng = new Rng(11);
  const texts = Array.from({ length: 600 }, () => Array.from({ length: rng.int(30) }, () => pool[rng.int(pool.length)]).join(''));
  await assertSameIds(base, texts);
  await assertSameIds({ ...base, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } }, texts);
});

test('files it cannot reproduce are refused with the reason, and bestEncoder falls back to tokenizers', async (t) => {
  const base = JSON.parse((await tinyTokenizer()).json) as TokenizerJson;
  const prefixed = { ...base, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, use_regex: true } };
  assert.deepEqual(fastEncoderSupport(prefixed), { ok: false, reason: 'a pre-tokenizer other than [Digits(individual)] + ByteLevel(regex, no prefix space)' });
  assert.throws(() => new ByteLevelBpeEncoder(prefixed), /unsupported tokenizer\.json/);
  const path = sharedPath('data/tokenizers/phi-3-mini/tokenizer.json');
  if (!path) return t.skip('../shared/data/tokenizers/phi-3-mini absent');
  const phi = readFileSync(path, 'utf8');
  assert.equal(fastEncoderSupport(JSON.parse(phi) as TokenizerJson).ok, false);
  const encoder = bestEncoder(phi);
  assert.equal(encoder.kind, 'tokenizers');
  await encoder.close();
});

test('the worker pool returns the same ids, batch by batch in order, with many batches in flight', async () => {
  const { json } = await tinyTokenizer();
  const texts = [...textRecords(300).map((r) => r.text), ...TRICKY];
  const inThread = jsBpeEncoder(JSON.parse(json) as TokenizerJson);
  const pool = new EncoderPool(json, 2);
  try {
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += 17) batches.push(texts.slice(i, i + 17));
    const fromPool = await Promise.all(batches.map((b) => pool.encodeBatch(b)));
    const expected = await Promise.all(batches.map((b) => inThread.encodeBatch(b)));
    assert.deepEqual(fromPool.map((b) => b.map((ids) => Array.from(ids))), expected.map((b) => b.map((ids) => Array.from(ids))));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.encodeBatch(['x']), /closed/);
});

test('an encoding failure in a worker rejects that batch with the reason; the pool keeps working', async () => {
  const { json } = await tinyTokenizer();
  const pool = new EncoderPool(json, 1);
  try {
    await assert.rejects(pool.encodeBatch([42 as unknown as string]), /encoder pool: /);
    const [ids] = await pool.encodeBatch(['still fine']);
    assert.ok(ids!.length > 0);
  } finally {
    await pool.close();
  }
});

test('tokenize with the worker pool resumes exactly and matches tokenizers', async () => {
  const trained = await tinyTokenizer();
  const records = textRecords(80);
  const pool = bestEncoder(trained.json, { workers: 2 });
  assert.equal(pool.kind, 'js-bpe-workers');
  try {
    const fast = await assertResumesExactly(pipe(fromArray(records), tokenize({ encoder: pool, batchSize: 6 })), 13, 20);
    const reference = await assertResumesExactly(pipe(fromArray(records), tokenize({ encoder: tokenizersEncoder(trained.tokenizer) })), 0, 0);
    assert.deepEqual(fast.map((d) => Array.from(d.ids)), reference.map((d) => Array.from(d.ids)));
  } finally {
    await pool.close();
  }
});

test('on the SlimPajama sample with its 8000-piece BPE the JavaScript BPE equals tokenizers for every document', async (t) => {
  const path = sharedPath('data/slimpajama/example_shared_0.jsonl');
  if (!path) return t.skip('../shared/data/slimpajama absent');
  const texts = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { text: string }).text);
  const { trainTokenizer } = await import('../../src/tokenizer/train-bpe.js');
  const trained = await trainTokenizer(texts, { vocabSize: 8000 });
  await assertSameIds(JSON.parse(trained.json) as TokenizerJson, texts);
});
