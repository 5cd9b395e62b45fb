/** Tasks read their data in every shipped format and own LibMoE's prompts (libmoe.md §9.1). */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadTaskItems } from '../../src/eval/data/load-task-items.js';
import { detectRowFormat } from '../../src/eval/data/row-format.js';
import type { ChoiceItem, LastWordItem } from '../../src/eval/items.js';
import { hellaswagClean } from '../../src/eval/tasks/hellaswag.js';
import { pyCapitalize, pyListRepr } from '../../src/eval/tasks/prompts.js';
import { evalTask, evalTaskNames } from '../../src/eval/tasks/registry.js';
import { query } from '../sinks/duckdb.js';

const FIX = resolve('fixtures/eval');

describe('task registry', () => {
  it("holds LibMoE's LM suite in its table order", () => {
    assert.deepEqual(evalTaskNames(), ['lambada', 'blimp', 'cbt', 'hellaswag', 'piqa', 'arc_easy', 'arc_challenge', 'openbookqa', 'commonsenseqa', 'siqa', 'race', 'winogrande', 'mmlu']);
    assert.throws(() => evalTask('piqaa'), /unknown evaluation task "piqaa"; known: lambada, blimp/);
  });
});

describe('row formats', () => {
  it('are told apart by their fields', () => {
    assert.equal(detectRowFormat({ query: 'q', choices: [], gold: 0 }), 'foundry-mc');
    assert.equal(detectRowFormat({ context: 'c', continuation: 'x' }), 'foundry-lm');
    assert.equal(detectRowFormat({ context_options: [], continuation: 'x', gold: 0 }), 'foundry-schema');
    assert.equal(detectRowFormat({ goal: 'g', sol1: 'a', sol2: 'b', label: 0 }), 'hf');
    // SIQA's HF rows have a "context" field but no "continuation": still HF.
    assert.equal(detectRowFormat({ context: 'c', question: 'q', answerA: 'a', label: '1' }), 'hf');
  });
});

describe('prompts', () => {
  it('PIQA reads the same prompt from HF rows and from llm-foundry rows', async () => {
    const hf = (await loadTaskItems(evalTask('piqa'), { dataDir: join(FIX, 'hf') })).items as ChoiceItem[];
    const foundry = (await loadTaskItems(evalTask('piqa'), { dataDir: join(FIX, 'foundry') })).items as ChoiceItem[];
    assert.equal(hf[0]!.context, 'Question: Keep a door from slamming shut\nAnswer:');
    assert.equal(hf[0]!.delimiter, ' ');
    assert.equal(hf[0]!.lengthNormalised, true);
    assert.deepEqual(foundry.map((i) => [i.context, i.options, i.gold]), hf.slice(0, 2).map((i) => [i.context, i.options, i.gold]));
    assert.equal(hf[2]!.gold, 0); // label "0" as a string is accepted
  });

  it('ARC maps answerKey through the labels and excludes items without 4 options (counted)', async () => {
    const l = await loadTaskItems(evalTask('arc_easy'), { dataDir: join(FIX, 'hf') });
    const items = l.items as ChoiceItem[];
    assert.deepEqual(items.map((i) => [i.id, i.gold, i.group]), [['Mercury_1', 1, 'ARC-Easy'], ['NYSED_3', 2, 'ARC-Easy']]);
    assert.equal(items[0]!.context, 'Question: Which part of a plant takes in water from the soil?\nAnswer:');
    assert.deepEqual(l.counts, { read: 3, used: 2, skipped: 0, excluded: 1 });
  });

  it("HellaSwag: '{activity_label}: {ctx_a} {ctx_b.capitalize()}' with the WikiHow cleanup on context and endings", async () => {
    const items = (await loadTaskItems(evalTask('hellaswag'), { dataDir: join(FIX, 'hf') })).items as ChoiceItem[];
    assert.equal(items[0]!.context, 'Making a sandwich: A man lays two slices of bread on a board. He');
    // Python's capitalize() upper-cases the "[" and lower-cases the rest, as the harness does.
    assert.equal(items[1]!.context, 'Home and Garden: How to water a cactus. Check the soil first. if the soil is dry');
    // The harness strips before removing markers, so a leading marker leaves a space behind.
    assert.equal(items[1]!.options[0], ' Water it slowly.');
    assert.equal(items[0]!.id, '7');
    assert.equal(hellaswagClean(' [header] A [title] B '), ' A. B');
    assert.equal(pyCapitalize('iF tHE'), 'If the');
  });

  it('LAMBADA splits HF text at the last space; llm-foundry rows come split', async () => {
    const hf = (await loadTaskItems(evalTask('lambada'), { dataDir: join(FIX, 'hf') })).items as LastWordItem[];
    const fd = (await loadTaskItems(evalTask('lambada'), { dataDir: join(FIX, 'foundry') })).items as LastWordItem[];
    assert.deepEqual([hf[0]!.context, hf[0]!.target], ['She opened the old box and found a letter from her', 'grandmother']);
    assert.deepEqual([fd[0]!.context, fd[0]!.target], [hf[0]!.context, hf[0]!.target]);
  });

  it('BLiMP: one file per phenomenon, group = UID, good sentence first, summed with no context', async () => {
    const l = await loadTaskItems(evalTask('blimp'), { dataDir: join(FIX, 'hf') });
    const items = l.items as ChoiceItem[];
    assert.deepEqual(items.map((i) => [i.id, i.group]), [['anaphor_agreement/0', 'anaphor_agreement'], ['anaphor_agreement/1', 'anaphor_agreement'], ['determiner_noun/0', 'determiner_noun']]);
    assert.deepEqual([items[0]!.context, items[0]!.delimiter, items[0]!.lengthNormalised, items[0]!.gold], ['', '', false, 0]);
    assert.equal(l.files.length, 2);
  });

  it("MMLU prints its options as a Python list and puts the option right after 'Answer:'", async () => {
    const item = evalTask('mmlu').toItem({ question: 'Pick one', subject: 'logic', choices: ["it's", 'b "c"', 'd'], answer: 2 }, 'hf', { file: 'm.jsonl', record: 1 }) as ChoiceItem;
    assert.equal(item.context, `Question: Pick one\nOptions: ["it's", 'b "c"', 'd']\nAnswer:`);
    assert.equal(item.delimiter, '');
    assert.equal(item.group, 'logic');
    assert.equal(pyListRepr(['a\nb', "x'y\"z"]), `['a\\nb', 'x\\'y"z']`);
  });

  it('SIQA, Winogrande, OpenBookQA, CommonsenseQA, RACE and CBT build their LibMoE prompts', () => {
    const s = { file: 'high.jsonl', record: 4 };
    const siqa = evalTask('siqa').toItem({ context: 'C', question: 'Q?', answerA: 'a', answerB: 'b', answerC: 'c', label: '3' }, 'hf', s) as ChoiceItem;
    assert.deepEqual([siqa.context, siqa.gold], ['Context: C\nQuestion: Q?\nAnswer:', 2]);
    const wino = evalTask('winogrande').toItem({ sentence: 'The _ fell.', option1: 'cup', option2: 'sky', answer: '1' }, 'hf', s) as ChoiceItem;
    assert.deepEqual([wino.context, wino.options, wino.gold], ['Question: The _ fell.\nAnswer:', ['cup', 'sky'], 0]);
    const obqa = evalTask('openbookqa').toItem({ id: 'o1', question_stem: 'S', choices: { text: ['w', 'x', 'y', 'z'], label: ['A', 'B', 'C', 'D'] }, answerKey: 'D' }, 'hf', s) as ChoiceItem;
    assert.deepEqual([obqa.context, obqa.gold, obqa.id], ['Question: S\nAnswer:', 3, 'o1']);
    const csqa = evalTask('commonsenseqa').toItem({ question: 'Q', choices: { text: ['a', 'b', 'c', 'd', 'e'], label: ['A', 'B', 'C', 'D', 'E'] }, answerKey: 'E' }, 'hf', s) as ChoiceItem;
    assert.deepEqual([csqa.gold, csqa.id], [4, 'high:4']);
    const race = evalTask('race').toItem({ article: 'A', question: 'Q', options: ['1', '2', '3', '4'], answer: 'B' }, 'hf', s) as ChoiceItem;
    assert.deepEqual([race.context, race.gold, race.group], ['Article: A\nQuestion: Q\nAnswer:', 1, 'test/high']);
    const cbt = evalTask('cbt').toItem({ sentences: ['One. ', 'Two.'], question: 'The XXXXX ran.', options: ['dog', 'cat'], answer: 'cat' }, 'hf', { file: 'cbt/CN.jsonl', record: 1 }) as ChoiceItem;
    assert.deepEqual([cbt.context, cbt.options, cbt.gold, cbt.lengthNormalised, cbt.group], ['One. Two.', ['The dog ran.', 'The cat ran.'], 1, false, 'CN']);
  });
});

describe('bad input', () => {
  const bad = join(FIX, 'bad/piqa.jsonl');

  it("policy 'fail' stops at the first bad row, naming file and line", async () => {
    await assert.rejects(loadTaskItems(evalTask('piqa'), { files: [bad] }), (e: Error) => e.message.startsWith(`${bad}:2: not valid JSON`));
  });

  it("policy 'skip' counts every bad row with its reason, and the counts reconcile", async () => {
    const l = await loadTaskItems(evalTask('piqa'), { files: [bad], onBadRow: 'skip' });
    assert.deepEqual(l.counts, { read: 5, used: 2, skipped: 3, excluded: 0 });
    assert.equal(l.counts.read, l.counts.used + l.counts.skipped + l.counts.excluded);
    assert.match(l.skippedExamples[1]!, /piqa\.jsonl:3: missing field "sol2"/);
    assert.match(l.skippedExamples[2]!, /piqa\.jsonl:4: field "gold" = 2 is not an option index \(0\.\.1\)/);
  });

  it('a missing task file names the task and every path looked at', async () => {
    await assert.rejects(loadTaskItems(evalTask('blimp'), { dataDir: '/nonexistent/d' }),
      { message: 'task blimp: no data file found; looked at: /nonexistent/d/blimp/, /nonexistent/d/blimp.jsonl, /nonexistent/d/blimp.parquet' });
  });

  it('a file in a format the task does not read is an error naming the file and its fields', async () => {
    await assert.rejects(loadTaskItems(evalTask('piqa'), { files: [join(FIX, 'foundry/lambada_openai.jsonl')] }),
      /lambada_openai\.jsonl: task piqa reads hf or foundry-mc rows; this file's rows are foundry-lm \(fields: context, continuation\)/);
  });

  it('--limit takes the first items of each file', async () => {
    const l = await loadTaskItems(evalTask('blimp'), { dataDir: join(FIX, 'hf'), limit: 1 });
    assert.deepEqual(l.items.map((i) => i.id), ['anaphor_agreement/0', 'determiner_noun/0']);
  });
});

describe('Parquet', () => {
  it('reads the same rows as the JSONL (DuckDB), with nested structs and lists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eval-parquet-'));
    try {
      const out = join(dir, 'arc_easy.parquet');
      await query(`COPY (SELECT * FROM read_json_auto('${join(FIX, 'hf/arc_easy.jsonl')}')) TO '${out}' (FORMAT parquet)`);
      const fromParquet = await loadTaskItems(evalTask('arc_easy'), { dataDir: dir });
      const fromJsonl = await loadTaskItems(evalTask('arc_easy'), { dataDir: join(FIX, 'hf') });
      const strip = (items: readonly unknown[]) => (items as ChoiceItem[]).map(({ source: _s, ...rest }) => rest);
      assert.deepEqual(strip(fromParquet.items), strip(fromJsonl.items));
      assert.deepEqual(fromParquet.counts, fromJsonl.counts);
      assert.equal(fromParquet.items[0]!.source.file, out);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
