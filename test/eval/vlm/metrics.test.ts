/** Each VLM metric on hand-made answers whose value is known, as lmms-eval aggregates them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricRow } from '../../../src/eval/scoring/task-metrics.js';
import { MME_COGNITION, MME_PERCEPTION } from '../../../src/eval/vlm/scoring/mme-metrics.js';
import { mme } from '../../../src/eval/vlm/tasks/mme.js';
import { pope } from '../../../src/eval/vlm/tasks/pope.js';
import { scienceQaImg } from '../../../src/eval/vlm/tasks/scienceqa-img.js';
import { judged, letterItem, yesNoItem } from './hand-made.js';

function value(rows: readonly MetricRow[], group: string, protocol: string, metric: string): number {
  const r = rows.filter((x) => x.group === group && x.protocol === protocol && x.metric === metric);
  assert.equal(r.length, 1, `one row for ${group}/${protocol}/${metric}`);
  return r[0]!.value;
}

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);

describe('POPE metrics', () => {
  const gold: ['yes' | 'no', string][] = [['yes', 'random'], ['no', 'random'], ['yes', 'popular'], ['no', 'popular']];
  const items = gold.map(([g, c], i) => yesNoItem(String(i), c, g));

  it('all-"yes" answers: recall 1, precision = the share of gold yes, POPE yes-ratio 1 (lmms-eval\'s pope_yes_ratio is the gold share)', () => {
    const rows = pope.metrics(judged(pope, items.map((it) => [it, 'yes'])));
    for (const g of ['random', 'popular', 'all']) {
      assert.equal(value(rows, g, 'lmms-eval', 'pope_accuracy'), 0.5);
      assert.equal(value(rows, g, 'lmms-eval', 'pope_precision'), 0.5);
      assert.equal(value(rows, g, 'lmms-eval', 'pope_recall'), 1);
      close(value(rows, g, 'lmms-eval', 'pope_f1_score'), 2 / 3);
      assert.equal(value(rows, g, 'lmms-eval', 'pope_yes_ratio'), 0.5);
      assert.equal(value(rows, g, 'llava', 'recall'), 1);
      assert.equal(value(rows, g, 'llava', 'yes_ratio'), 1);
      close(value(rows, g, 'llava', 'f1'), 2 / 3);
    }
    assert.deepEqual([...new Set(rows.map((r) => r.group))], ['random', 'popular', 'all']);
    assert.equal(rows.find((r) => r.group === 'all')!.n, 4);
  });

  it('perfect answers score 1 everywhere', () => {
    const rows = pope.metrics(judged(pope, items.map((it) => [it, it.gold === 'yes' ? 'Yes' : ' no '])));
    for (const m of ['pope_accuracy', 'pope_precision', 'pope_recall', 'pope_f1_score']) assert.equal(value(rows, 'all', 'lmms-eval', m), 1);
    for (const m of ['accuracy', 'precision', 'recall', 'f1']) assert.equal(value(rows, 'all', 'llava', m), 1);
    assert.equal(value(rows, 'all', 'llava', 'yes_ratio'), 0.5);
  });

  it('lmms-eval counts "Yes." as neither yes nor no (precision and recall 0 without predictions); POPE\'s rule reads it as yes', () => {
    const rows = pope.metrics(judged(pope, items.map((it) => [it, it.gold === 'yes' ? 'Yes.' : 'No.'])));
    assert.equal(value(rows, 'all', 'lmms-eval', 'pope_accuracy'), 0);
    assert.equal(value(rows, 'all', 'lmms-eval', 'pope_precision'), 0);
    assert.equal(value(rows, 'all', 'lmms-eval', 'pope_recall'), 0);
    assert.equal(value(rows, 'all', 'lmms-eval', 'pope_f1_score'), 0);
    assert.equal(value(rows, 'all', 'moeflow', 'unparsed'), 4);
    assert.equal(value(rows, 'all', 'llava', 'accuracy'), 1);
  });

  it('all-"no" answers: POPE\'s precision is undefined (NaN), lmms-eval\'s is 0', () => {
    const rows = pope.metrics(judged(pope, items.map((it) => [it, 'no'])));
    assert.equal(value(rows, 'all', 'lmms-eval', 'pope_precision'), 0);
    assert.equal(value(rows, 'all', 'lmms-eval', 'pope_recall'), 0);
    assert.ok(Number.isNaN(value(rows, 'all', 'llava', 'precision')));
    assert.equal(value(rows, 'all', 'llava', 'recall'), 0);
    assert.equal(value(rows, 'all', 'llava', 'yes_ratio'), 0);
  });
});

describe('ScienceQA-IMG metrics', () => {
  it("exact_match uses lmms-eval's letter rule, accuracy LLaVA's extraction", () => {
    const it = (id: string, subject: string) => letterItem(id, subject, 3, 1); // gold B
    const rows = scienceQaImg.metrics(judged(scienceQaImg, [
      [it('1', 'natural science'), 'B'], // both
      [it('2', 'natural science'), 'The answer is B.'], // LLaVA only
      [it('3', 'language science'), 'b'], // lmms-eval only
      [it('4', 'language science'), 'C. a square'], // neither
    ]));
    assert.equal(value(rows, 'all', 'lmms-eval', 'exact_match'), 0.5);
    assert.equal(value(rows, 'all', 'llava', 'accuracy'), 0.5);
    assert.equal(value(rows, 'natural science', 'lmms-eval', 'exact_match'), 0.5);
    assert.equal(value(rows, 'natural science', 'llava', 'accuracy'), 1);
    assert.equal(value(rows, 'language science', 'llava', 'accuracy'), 0);
    assert.equal(value(rows, 'all', 'moeflow', 'unparsed'), 1);
  });

  it('a letter beyond the options is wrong', () => {
    const rows = scienceQaImg.metrics(judged(scienceQaImg, [[letterItem('1', 's', 2, 1), 'E']]));
    assert.equal(value(rows, 'all', 'lmms-eval', 'exact_match'), 0);
    assert.equal(value(rows, 'all', 'llava', 'accuracy'), 0);
  });
});

describe('MME metrics', () => {
  const pair = (category: string, image: string): [ReturnType<typeof yesNoItem>, ReturnType<typeof yesNoItem>] =>
    [yesNoItem(`${image}#1`, category, 'yes', image), yesNoItem(`${image}#2`, category, 'no', image)];

  it('accuracy+ needs both questions of an image; score = 100 × (accuracy + accuracy+); perception and cognition sum their categories', () => {
    const [a1, a2] = pair('existence', 'existence/a.png');
    const [b1, b2] = pair('existence', 'existence/b.png');
    const [c1, c2] = pair('count', 'count/c.png');
    const [d1, d2] = pair('code_reasoning', 'code_reasoning/d.png');
    const rows = mme.metrics(judged(mme, [
      [d1, 'Yes'], [d2, 'No'], // both right
      [a1, 'Yes'], [a2, 'No.'], // both right
      [b1, 'yes'], [b2, 'yes'], // one right
      [c1, 'maybe'], [c2, 'I do not know'], // both "other"
    ]));
    assert.equal(value(rows, 'existence', 'lmms-eval', 'accuracy'), 0.75);
    assert.equal(value(rows, 'existence', 'lmms-eval', 'accuracy_plus'), 0.5);
    assert.equal(value(rows, 'existence', 'lmms-eval', 'score'), 125);
    assert.equal(value(rows, 'count', 'lmms-eval', 'score'), 0);
    assert.equal(value(rows, 'code_reasoning', 'lmms-eval', 'score'), 200);
    assert.equal(value(rows, 'perception', 'lmms-eval', 'mme_perception_score'), 125);
    assert.equal(value(rows, 'cognition', 'lmms-eval', 'mme_cognition_score'), 200);
    assert.equal(value(rows, 'all', 'moeflow', 'unparsed'), 2);
    // Categories in lmms-eval's order, whatever the answers' order.
    assert.deepEqual([...new Set(rows.map((r) => r.group))], ['existence', 'count', 'code_reasoning', 'perception', 'cognition', 'all']);
  });

  it('an image with one answered question is an error (lmms-eval scores pairs only)', () => {
    const [a1] = pair('existence', 'existence/a.png');
    assert.throws(() => mme.metrics(judged(mme, [[a1, 'yes']])), /question_id "existence\/a.png" has 1 answered question/);
  });

  it("holds lmms-eval's 10 perception and 4 cognition categories", () => {
    assert.equal(MME_PERCEPTION.length, 10);
    assert.deepEqual(MME_COGNITION, ['commonsense_reasoning', 'numerical_calculation', 'text_translation', 'code_reasoning']);
  });
});
