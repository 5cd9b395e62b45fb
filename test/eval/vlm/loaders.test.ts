/** VLM tasks read lmms-eval's row layouts from JSONL and Parquet, build its prompts, and handle bad rows as the LM tasks do. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { BadRowError } from '../../../src/eval/data/load-task-items.js';
import { RowError } from '../../../src/eval/task.js';
import { imageField } from '../../../src/eval/vlm/image-field.js';
import type { LetterItem, YesNoItem } from '../../../src/eval/vlm/items.js';
import { loadVlmItems } from '../../../src/eval/vlm/load-vlm-items.js';
import { mmePrompt, scienceQaPrompt, withImageToken } from '../../../src/eval/vlm/prompts.js';
import { vlmPrompt } from '../../../src/eval/vlm/score-vlm-task.js';
import { vlmTask, vlmTaskNames } from '../../../src/eval/vlm/tasks/registry.js';

const FIX = resolve('fixtures/eval/vlm');
const SHORT = '\nAnswer the question using a single word or phrase.';

describe('VLM task registry', () => {
  it("holds lmms-eval's pope, scienceqa_img and mme", () => {
    assert.deepEqual(vlmTaskNames(), ['pope', 'scienceqa_img', 'mme']);
    assert.throws(() => vlmTask('pope_adv'), /unknown VLM evaluation task "pope_adv"; known: pope, scienceqa_img, mme/);
  });
});

describe('prompts', () => {
  it('MME drops " Please answer yes or no." before the short-answer instruction; ScienceQA letters its options', () => {
    assert.equal(mmePrompt('  Is this a cat? Please answer yes or no.\n'), `Is this a cat?${SHORT}`);
    assert.equal(scienceQaPrompt('Which?', ['x', 'y'], ''), "Which?\nA. x\nB. y\nAnswer with the option's letter from the given choices directly.");
    assert.equal(scienceQaPrompt('Which?', ['x'], 'Look.'), "Context: Look.\nWhich?\nA. x\nAnswer with the option's letter from the given choices directly.");
  });

  it("puts LLaVA's image token first unless the prompt holds one", () => {
    assert.equal(withImageToken('What is it?'), '<image>\nWhat is it?');
    assert.equal(withImageToken('Look: <image> What is it?'), 'Look: <image> What is it?');
  });
});

describe('image field', () => {
  it('reads a path against the image folder, an HF struct {bytes, path}, base64 bytes in JSONL, or null (no image)', () => {
    assert.deepEqual(imageField({ image: 'a/b.png' }, '/data'), { kind: 'file', path: '/data/a/b.png' });
    assert.deepEqual(imageField({ image: { bytes: null, path: 'b.png' } }, '/data'), { kind: 'file', path: '/data/b.png' });
    assert.deepEqual(imageField({ image: { bytes: 'AQID', path: 'x.png' } }, '/data'), { kind: 'bytes', bytes: new Uint8Array([1, 2, 3]), name: 'x.png' });
    assert.deepEqual(imageField({ image: { bytes: new Uint8Array([9]) } }, '/data'), { kind: 'bytes', bytes: new Uint8Array([9]) });
    assert.equal(imageField({ image: null }, '/data'), undefined);
    assert.equal(imageField({}, '/data'), undefined);
    assert.throws(() => imageField({ image: 3 }, '/data'), RowError);
    assert.throws(() => imageField({ image: { bytes: 'not base64!' } }, '/data'), /must be base64/);
  });
});

describe('POPE rows', () => {
  it('JSONL: every row used, prompt = question + the short-answer instruction, group = category, image resolved', async () => {
    const l = await loadVlmItems(vlmTask('pope'), { dataDir: FIX });
    assert.deepEqual(l.counts, { read: 12, used: 12, skipped: 0, excluded: 0 });
    assert.deepEqual(l.files, [join(FIX, 'pope.jsonl')]);
    const items = l.items as YesNoItem[];
    assert.deepEqual(items.slice(0, 3).map((i) => [i.id, i.group, i.gold]), [['1', 'random', 'yes'], ['2', 'random', 'no'], ['3', 'popular', 'yes']]);
    assert.equal(items[0]!.prompt, `Is there a purple circle in the image?${SHORT}`);
    assert.deepEqual(items[0]!.image, { kind: 'file', path: join(FIX, 'images/synth-1000.png') });
    assert.equal(items[0]!.maxNewTokens, 128);
    assert.deepEqual(vlmPrompt(items[0]!), { id: '1', image: items[0]!.image, text: `<image>\nIs there a purple circle in the image?${SHORT}`, maxNewTokens: 128 });
  });

  it('Parquet: the same items with the image bytes embedded', async () => {
    const jsonl = (await loadVlmItems(vlmTask('pope'), { files: [join(FIX, 'pope.jsonl')] })).items;
    const parquet = (await loadVlmItems(vlmTask('pope'), { files: [join(FIX, 'pope.parquet')] })).items;
    assert.deepEqual(parquet.map((i) => [i.id, i.group, i.prompt, i.kind === 'yes-no' && i.gold]), jsonl.map((i) => [i.id, i.group, i.prompt, i.kind === 'yes-no' && i.gold]));
    const img = parquet[0]!.image;
    assert.equal(img.kind, 'bytes');
    if (img.kind === 'bytes') {
      assert.deepEqual(Buffer.from(img.bytes), readFileSync(join(FIX, 'images/synth-1000.png')));
      assert.equal(img.name, 'synth-1000.png');
    }
  });

  it('--limit keeps the first N items of each file', async () => {
    const l = await loadVlmItems(vlmTask('pope'), { dataDir: FIX, limit: 4 });
    assert.deepEqual(l.counts, { read: 4, used: 4, skipped: 0, excluded: 0 });
  });

  it('a bad row stops the load naming file, line and reason', async () => {
    const file = join(FIX, 'bad/pope.jsonl');
    await assert.rejects(loadVlmItems(vlmTask('pope'), { files: [file] }), (e: unknown) => e instanceof BadRowError && e.record === 2 && e.message.startsWith(`${file}:2: not valid JSON`));
  });

  it('under --on-bad-row skip, bad rows are counted: a non-JSON line, an answer that is not yes/no, a missing image file, no image', async () => {
    const file = join(FIX, 'bad/pope.jsonl');
    const l = await loadVlmItems(vlmTask('pope'), { files: [file], onBadRow: 'skip' });
    assert.deepEqual(l.counts, { read: 6, used: 2, skipped: 4, excluded: 0 });
    assert.deepEqual(l.items.map((i) => i.id), ['b1', 'b6']);
    assert.equal((l.items[1] as YesNoItem).gold, 'no'); // "No" normalised
    assert.match(l.skippedExamples[1]!, /bad\/pope\.jsonl:3: field "answer" must be yes or no, got "maybe"/);
    assert.match(l.skippedExamples[2]!, /bad\/pope\.jsonl:4: image .*missing\.png is not a non-empty file/);
    assert.match(l.skippedExamples[3]!, /bad\/pope\.jsonl:5: missing field "image"/);
  });
});

describe('ScienceQA-IMG rows', () => {
  it('only questions with an image are used (the text-only one is excluded); Context line only with a hint', async () => {
    const l = await loadVlmItems(vlmTask('scienceqa_img'), { dataDir: FIX });
    assert.deepEqual(l.counts, { read: 5, used: 4, skipped: 0, excluded: 1 });
    const items = l.items as LetterItem[];
    assert.equal(items[0]!.prompt, "Context: The picture shows coloured shapes on a three-by-three grid.\nWhich shape is at the bottom?\nA. circle\nB. square\nC. triangle\nAnswer with the option's letter from the given choices directly.");
    assert.ok(items[1]!.prompt.startsWith('Which shape is on the right?\nA. circle\nB. square\nC. triangle\nD. diamond\n'));
    assert.deepEqual(items.map((i) => [i.id, i.group, i.gold, i.maxNewTokens]), [
      ['scienceqa_img:1', 'natural science', 0, 16], ['scienceqa_img:2', 'natural science', 2, 16],
      ['scienceqa_img:4', 'language science', 2, 16], ['scienceqa_img:5', 'language science', 3, 16],
    ]);
  });
});

describe('MME rows', () => {
  it("pairs the two questions of an image as <question_id>#1 and #2; prompt without MME's yes/no instruction", async () => {
    const l = await loadVlmItems(vlmTask('mme'), { dataDir: FIX });
    assert.deepEqual(l.counts, { read: 12, used: 12, skipped: 0, excluded: 0 });
    const items = l.items as YesNoItem[];
    assert.deepEqual(items.slice(0, 2).map((i) => [i.id, i.pair, i.group, i.gold]), [
      ['existence/synth-1000.png#1', 'existence/synth-1000.png', 'existence', 'yes'],
      ['existence/synth-1000.png#2', 'existence/synth-1000.png', 'existence', 'no'],
    ]);
    assert.equal(items[0]!.prompt, `Is there a circle in this image?${SHORT}`);
    assert.equal(items[0]!.maxNewTokens, 16);
  });

  it('an unknown category stops the load; under skip, it and an image with one question are counted', async () => {
    const file = join(FIX, 'bad/mme.jsonl');
    await assert.rejects(loadVlmItems(vlmTask('mme'), { files: [file] }), /bad\/mme\.jsonl:4: field "category" = "colour" is not an MME category/);
    const l = await loadVlmItems(vlmTask('mme'), { files: [file], onBadRow: 'skip' });
    assert.deepEqual(l.counts, { read: 5, used: 2, skipped: 3, excluded: 0 });
    assert.match(l.skippedExamples.at(-1)!, /bad\/mme\.jsonl:3: question_id "existence\/lonely\.png" has 1 question\(s\)/);
  });

  it('an unpaired question stops the load under fail', async () => {
    const lonely = join(FIX, 'bad/mme.jsonl');
    await assert.rejects(loadVlmItems(vlmTask('mme'), { files: [lonely], limit: 3, onBadRow: 'fail' }), /bad\/mme\.jsonl:3: question_id "existence\/lonely\.png" has 1 question/);
  });
});
