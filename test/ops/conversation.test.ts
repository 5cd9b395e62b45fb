import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { conversation } from '../../src/ops/conversation.js';
import { IGNORE_INDEX as I, IMAGE_TOKEN_INDEX } from '../../src/ops/items/conversation-sample.js';
import type { ImageTextRecord } from '../../src/ops/items/image-text-record.js';
import { phi35Labels, phi35Prompt, phi35Rounds, phi35TurnLabels } from '../../src/ops/support/phi35-template.js';
import { joinChunks } from '../../src/ops/support/image-token-ids.js';
import { loadTokenizer } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizer } from '../tokenizer/tiny-tokenizer.js';
import { assertResumesExactly, drain, sharedPath } from './helpers.js';

const PHI3 = sharedPath('data/tokenizers/phi-3-mini/tokenizer.json');
const NO_PHI3 = 'the Phi-3 tokenizer is not at ../shared/data/tokenizers/phi-3-mini';

function record(turns: [string, string][], image?: string, id = 'r'): ImageTextRecord {
  return {
    modality: image === undefined ? 'text' : 'image',
    ...(image !== undefined ? { image } : {}),
    conversations: turns.flatMap(([q, a]) => [{ from: 'human' as const, value: q }, { from: 'gpt' as const, value: a }]),
    provenance: { file: 'f.json', record: 0, id },
  };
}

test('the Phi-3.5 prompt: system prompt, user/assistant turns closed by <|end|>\\n, <image> moved to the start of its turn', () => {
  const r = record([['What is it?\n<image>', 'A cat.'], ['And the colour?', 'Grey.']], 'cat.jpg');
  assert.equal(phi35Prompt(r),
    '<|system|>\nYou are a helpful assistant.<|end|>\n' +
    '<|user|>\n<image>\nWhat is it?<|end|>\n<|assistant|>\nA cat.<|end|>\n' +
    '<|user|>\nAnd the colour?<|end|>\n<|assistant|>\nGrey.<|end|>\n');
  // A text-only record keeps its text as it is.
  assert.equal(phi35Prompt(record([['Hi', 'Hello.']])), '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n');
});

test('the rounds LibMoE measures: the first includes the system prompt; neither ends with its answer\'s separator', () => {
  const prompt = phi35Prompt(record([['Q1', 'A1'], ['Q2', 'A2']]));
  assert.deepEqual(phi35Rounds(prompt), [
    { round: '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nQ1<|end|>\n<|assistant|>\nA1', instruction: '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nQ1<|end|>\n' },
    { round: '<|user|>\nQ2<|end|>\n<|assistant|>\nA2', instruction: '<|user|>\nQ2<|end|>\n' },
  ]);
});

test('label arithmetic is preprocess_phi35\'s: mask 0, then per round len(instruction) − 1 from the running length, which grows by len(round)', () => {
  const ids = Array.from({ length: 12 }, (_, i) => 100 + i);
  // Rounds of 5 and 4 tokens with instructions of 3 and 2 tokens, running length 1 + 5 + 4 = 10 ≠ 12: all masked.
  assert.deepEqual(phi35Labels(ids, [{ round: 5, instruction: 3 }, { round: 4, instruction: 2 }], 2048), { labels: ids.map(() => I), mismatch: true });
  // Lengths that add up (1 + 6 + 5 = 12): positions 0, 1–2 and 7 masked, the rest supervised.
  const { labels, mismatch } = phi35Labels(ids, [{ round: 6, instruction: 3 }, { round: 5, instruction: 2 }], 2048);
  assert.equal(mismatch, false);
  assert.deepEqual(labels, [I, I, I, 103, 104, 105, 106, I, 108, 109, 110, 111]);
  // At or beyond modelMaxLength the check is off (the sample was truncated).
  assert.equal(phi35Labels(ids.slice(0, 8), [{ round: 6, instruction: 3 }, { round: 5, instruction: 2 }], 8).mismatch, false);
});

test('tokenizer_image_token: one image id between chunks; a BOS the post-processor added is kept once', () => {
  assert.deepEqual(joinChunks([{ ids: [5, 6], specialMask: [0, 0] }, { ids: [7], specialMask: [0] }]), [5, 6, IMAGE_TOKEN_INDEX, 7]);
  assert.deepEqual(joinChunks([{ ids: [], specialMask: [] }, { ids: [7, 8], specialMask: [0, 0] }]), [IMAGE_TOKEN_INDEX, 7, 8]);
  assert.deepEqual(joinChunks([{ ids: [1, 5], specialMask: [1, 0] }, { ids: [1, 7], specialMask: [1, 0] }]), [1, 5, IMAGE_TOKEN_INDEX, 7]);
});

test('Phi-3 tokenizer, one round with an image: system and user turn masked; <|assistant|>, the answer and <|end|> supervised (hand-checked)', async (t) => {
  if (!PHI3) { t.skip(NO_PHI3); return; }
  const tokenizer = loadTokenizer(PHI3);
  const stage = pipe(fromArray([record([['<image>\nWhat is it?', 'A cat.']], 'cat.jpg')]), conversation({ tokenizer }))();
  const [sample] = await drain(stage);
  // <|system|>\n ▁You ▁are ▁a ▁helpful ▁assistant . <|end|>\n <|user|>\n <image> ▁ <0x0A> What ▁is ▁it ? <|end|>\n <|assistant|>\n ▁A ▁cat . <|end|>\n
  // (Phi-3's special tokens swallow the newline after them: rstrip.)
  assert.deepEqual(Array.from(sample!.ids), [32006, 887, 526, 263, 8444, 20255, 29889, 32007, 32010, IMAGE_TOKEN_INDEX, 29871, 13, 5618, 338, 372, 29973, 32007, 32001, 319, 6635, 29889, 32007]);
  assert.deepEqual(Array.from(sample!.labels), [...Array<number>(17).fill(I), 32001, 319, 6635, 29889, 32007]);
  assert.equal(sample!.supervised, 5);
  assert.equal(sample!.masked, undefined);
  assert.equal(sample!.image, 'cat.jpg');
});

test('Phi-3 tokenizer, two rounds: LibMoE\'s lengths disagree by one per extra round, so the whole sample is masked and counted', async (t) => {
  if (!PHI3) { t.skip(NO_PHI3); return; }
  const tokenizer = loadTokenizer(PHI3);
  const stage = pipe(fromArray([record([['Hi', 'Hello.'], ['Bye', 'Bye.']])]), conversation({ tokenizer }))();
  const [sample] = await drain(stage);
  assert.equal(sample!.masked, 'length_mismatch');
  assert.equal(sample!.supervised, 0);
  assert.ok(sample!.labels.every((l) => l === I));
  const stats = stage.stats!() as { lengthMismatch: number; samples: number };
  assert.equal(stats.lengthMismatch, 1);
  assert.equal(stats.samples, 1);
});

test('Phi-3 tokenizer, plain template: the image position masked, caption and "\\n" supervised', async (t) => {
  if (!PHI3) { t.skip(NO_PHI3); return; }
  const tokenizer = loadTokenizer(PHI3);
  const [sample] = await drain(pipe(fromArray([record([['Describe.\n<image>', 'A cat.']], 'cat.jpg')]), conversation({ tokenizer, template: 'plain' }))());
  // <image> ▁A ▁cat . <0x0A>   (the human turn's text is dropped, as preprocess_plain does)
  assert.deepEqual(Array.from(sample!.ids), [IMAGE_TOKEN_INDEX, 319, 6635, 29889, 13]);
  assert.deepEqual(Array.from(sample!.labels), [I, 319, 6635, 29889, 13]);
});

test('truncation: text samples to modelMaxLength, image samples so that the expanded image fits', async (t) => {
  if (!PHI3) { t.skip(NO_PHI3); return; }
  const tokenizer = loadTokenizer(PHI3);
  const long = 'word '.repeat(50);
  const stage = pipe(fromArray([record([['Q', long]]), record([['<image>\nQ', long]], 'x.jpg')]), conversation({ tokenizer, modelMaxLength: 40, imageTokens: 10 }))();
  const [text, image] = await drain(stage);
  assert.equal(text!.ids.length, 40);
  assert.equal(image!.ids.length, 31, '31 positions, one of them the image that expands to 10: 40 in the model');
  assert.ok(text!.truncated && image!.truncated);
  assert.equal(text!.labels.length, 40);
  assert.ok(text!.supervised > 0, 'a truncated sample keeps its labels (LibMoE skips the length check at the limit)');
});

test('the plain template refuses records it cannot take: an error naming file, record and reason, or a counted skip', async () => {
  const { tokenizer } = await tinyTokenizer();
  const records = [record([['<image>\nQ', 'A']], 'a.jpg', 'ok'), record([['Q', 'A']], undefined, 'text-only'), record([['<image>\nQ', 'A'], ['Q2', 'A2']], 'b.jpg', 'two-rounds')];
  await assert.rejects(drain(pipe(fromArray(records), conversation({ tokenizer, template: 'plain' }))()),
    /^Error: conversation: f\.json: record 0 \(id text-only\): plain_needs_image: /);
  const stage = pipe(fromArray(records), conversation({ tokenizer, template: 'plain', onError: 'skip' }))();
  const out = await drain(stage);
  assert.deepEqual(out.map((s) => s.provenance.id), ['ok']);
  const stats = stage.stats!() as { samples: number; skipped: number; skippedByReason: Record<string, number> };
  assert.deepEqual(stats.skippedByReason, { plain_needs_image: 1, plain_needs_one_pair: 1 });
  assert.equal(stats.samples + stats.skipped, records.length);
});

test('resumes exactly through the conversation operator, including skipped records and partial batches', async () => {
  const { tokenizer } = await tinyTokenizer();
  const records = Array.from({ length: 23 }, (_, i) => i % 5 === 4
    ? record([['Q', 'A']], undefined, `t${i}`)
    : record([[`<image>\nthe router sends token ${i}`, `to expert ${i % 3}`]], `${i}.jpg`, `i${i}`));
  const flow = pipe(fromArray(records), conversation({ tokenizer, template: 'plain', batchSize: 4, onError: 'skip' }));
  for (const [a, b] of [[0, 1], [3, 4], [7, 2], [15, 10]] as const) await assertResumesExactly(flow, a, b);
  const all = await drain(flow());
  assert.equal(all.length, 23 - 4);
});

test('Phi-3 tokenizer, labels "turns": system, user turns and <|assistant|> masked; every answer and its <|end|> supervised (hand-checked)', async (t) => {
  if (!PHI3) { t.skip(NO_PHI3); return; }
  const tokenizer = loadTokenizer(PHI3);
  const stage = pipe(fromArray([record([['Hi', 'Hello.'], ['Bye', 'Bye.']])]), conversation({ tokenizer, labels: 'turns' }))();
  const [sample] = await drain(stage);
  // <|system|> ▁You ▁are ▁a ▁helpful ▁assistant . <|end|> <|user|> ▁Hi <|end|> <|assistant|> ▁Hello . <|end|> <|user|> ▁By e <|end|> <|assistant|> ▁By e . <|end|>
  assert.deepEqual(Array.from(sample!.ids), [32006, 887, 526, 263, 8444, 20255, 29889, 32007, 32010, 6324, 32007, 32001, 15043, 29889, 32007, 32010, 2648, 29872, 32007, 32001, 2648, 29872, 29889, 32007]);
  assert.deepEqual(Array.from(sample!.labels), [...Array<number>(12).fill(I), 15043, 29889, 32007, ...Array<number>(5).fill(I), 2648, 29872, 29889, 32007]);
  assert.equal(sample!.masked, undefined);
  assert.equal((stage.stats!() as { lengthMismatch: number }).lengthMismatch, 0);
});

test('"turns" labels from prefix lengths: supervised spans are [instruction end, answer end) per round; misaligned prefixes mask all', () => {
  const ids = Array.from({ length: 10 }, (_, i) => 50 + i);
  assert.deepEqual(phi35TurnLabels(ids, [3, 5, 8, 10]), { labels: [I, I, I, 53, 54, I, I, I, 58, 59], mismatch: false });
  assert.equal(phi35TurnLabels(ids, [3, 5, 4, 10]).mismatch, true, 'a round starting before the previous answer ended');
  assert.equal(phi35TurnLabels(ids, [3, 5, 8, 11]).mismatch, true, 'prefix longer than the prompt');
  assert.equal(phi35TurnLabels(ids.slice(0, 6), [3, 5, 8, 10], 10).mismatch, false, 'a truncated sample keeps its labels');
});
