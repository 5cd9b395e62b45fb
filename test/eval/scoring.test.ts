/**
 * The scoring rules on a model whose log-probabilities are written down: every expected
 * number below is a sum of ln(1/2) and ln(1/4) terms read off the table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChoiceItem, LastWordItem } from '../../src/eval/items.js';
import type { ChoiceResult, LastWordResult } from '../../src/eval/scoring/results.js';
import { scoreItems } from '../../src/eval/scoring/score-items.js';
import { taskMetrics } from '../../src/eval/scoring/task-metrics.js';
import { fitWindow } from '../../src/eval/scoring/fit-window.js';
import { TinyLm, TinyTokenizer } from './tiny-lm.js';

const H = Math.log(1 / 2);
const Q = Math.log(1 / 4);

const tok = new TinyTokenizer(['Q', 'R', ' a', ' b', ' c', ' ma', 't', 'x', ' ']);
const table = {
  Q: { ' a': 1 / 4, ' b': 1 / 2, ' c': 1 / 4 },
  ' b': { ' b': 1 / 2, ' a': 1 / 4, ' c': 1 / 4 },
  R: { ' ma': 1 / 2, ' a': 1 / 4, R: 1 / 4 },
  ' ma': { t: 1 / 2, x: 1 / 4, ' a': 1 / 4 },
};
const fallback = { R: 1 / 2, ' a': 1 / 4, ' c': 1 / 4 };
const lm = (maxTokens = 64): TinyLm => new TinyLm(tok, table, fallback, maxTokens);
const src = { file: 'test.jsonl', record: 1 };

function choice(id: string, context: string, options: string[], gold: number, lengthNormalised = true, group = 'g', delimiter = ' '): ChoiceItem {
  return { kind: 'choice', id, group, context, delimiter, options, gold, lengthNormalised, source: src };
}

async function score(items: (ChoiceItem | LastWordItem)[], maxTokens = 64, batchSize = 8) {
  return scoreItems(items, { tokenizer: tok, scorer: lm(maxTokens), batchSize });
}

describe('LibMoE likelihood comparison', () => {
  it('with length normalisation scores the mean continuation log-prob: 3 likely tokens beat 1 unlikely one', async () => {
    const [r] = (await score([choice('i', 'Q', ['a', 'b b b'], 1)])) as ChoiceResult[];
    assert.deepEqual(r!.scores, [Q, H]); // ' a': ln 1/4 over 1 token; ' b b b': 3·ln 1/2 over 3 tokens
    assert.deepEqual(r!.logliks, [Q, 3 * H]);
    assert.deepEqual(r!.tokens, [1, 3]);
    assert.equal(r!.correct, true);
    assert.equal(r!.prediction, 1);
  });

  it('without length normalisation sums over the whole sequence, so the same item flips', async () => {
    const [r] = (await score([choice('i', 'Q', ['a', 'b b b'], 1, false)])) as ChoiceResult[];
    assert.deepEqual(r!.scores, [Q, 3 * H]); // context "Q" has no predicted token of its own
    assert.equal(r!.correct, false);
    assert.equal(r!.prediction, 0);
  });

  it('the unnormalised sum counts the context tokens too (CBT: story + filled question)', async () => {
    const [r] = (await score([choice('i', 'RR', ['a', 'c'], 0, false)])) as ChoiceResult[];
    // p(R|R) = 1/4 from the table, then p(' a'|R) = 1/4 vs p(' c'|R) = 0 → −∞.
    assert.equal(r!.scores[0], Q + Q);
    assert.equal(r!.scores[1], -Infinity);
    assert.equal(r!.correct, true);
  });

  it('a tie is wrong whichever option is gold', async () => {
    const rs = (await score([choice('g0', 'Q', ['a', 'c'], 0), choice('g1', 'Q', ['a', 'c'], 1)])) as ChoiceResult[];
    assert.deepEqual(rs[0]!.scores, [Q, Q]);
    assert.equal(rs[0]!.correct, false);
    assert.equal(rs[1]!.correct, false);
  });

  it('BLiMP pairs (no context): the first token is context; equal sums are a tie, hence wrong', async () => {
    const rs = (await score([
      choice('tie', '', ['Q b b', 'Q a'], 0, false, 'p1', ''),
      choice('win', '', ['Q b', 'Q a'], 0, false, 'p1', ''),
    ])) as ChoiceResult[];
    assert.deepEqual(rs[0]!.scores, [2 * H, Q]);
    assert.equal(2 * H, Q); // the tie is exact
    assert.equal(rs[0]!.correct, false);
    assert.deepEqual(rs[1]!.scores, [H, Q]);
    assert.equal(rs[1]!.correct, true);
  });
});

describe('lm-evaluation-harness acc and acc_norm', () => {
  it('acc takes the argmax of the summed log-likelihood; acc_norm divides by characters', async () => {
    const [r] = (await score([choice('i', 'Q', ['a', 'b b b'], 1)])) as ChoiceResult[];
    assert.deepEqual(r!.chars, [1, 5]);
    assert.equal(r!.acc, false); // ln 1/4 > 3 ln 1/2
    assert.equal(r!.accNorm, true); // ln(1/4)/1 < 3 ln(1/2)/5
  });

  it('a tie goes to the first option (numpy argmax), unlike LibMoE', async () => {
    const rs = (await score([choice('g0', 'Q', ['a', 'c'], 0), choice('g1', 'Q', ['a', 'c'], 1)])) as ChoiceResult[];
    assert.equal(rs[0]!.acc, true);
    assert.equal(rs[1]!.acc, false);
  });

  it('counts characters as code points (Python len), not UTF-16 units', async () => {
    const t = new TinyTokenizer(['Q', ' ', '😀', 'a']);
    const m = new TinyLm(t, {}, { ' ': 1 / 4, '😀': 1 / 4, a: 1 / 2 });
    const [r] = (await scoreItems([choice('i', 'Q', ['😀', 'a'], 0)], { tokenizer: t, scorer: m, batchSize: 4 })) as ChoiceResult[];
    assert.deepEqual(r!.chars, [1, 1]);
  });
});

describe('LAMBADA last word', () => {
  const item = (id: string, target: string): LastWordItem => ({ kind: 'last-word', id, group: 'total', context: 'R', target, source: src });

  it('detokenises the greedy argmax over a multi-token last word and compares it with the word', async () => {
    const rs = (await score([item('right', 'mat'), item('wrong', 'max')])) as LastWordResult[];
    // " mat" = " ma" + "t": greedy after R is " ma", after " ma" is "t".
    assert.equal(rs[0]!.predicted, 'mat');
    assert.equal(rs[0]!.correct, true);
    assert.equal(rs[0]!.greedyTokens, true);
    assert.equal(rs[0]!.loglik, 2 * H);
    assert.equal(rs[1]!.predicted, 'mat');
    assert.equal(rs[1]!.correct, false);
    assert.equal(rs[1]!.loglik, H + Q);
    assert.equal(rs[1]!.tokens, 2);
  });

  it('reports LibMoE token-level perplexity and the harness per-item perplexity', async () => {
    const m = taskMetrics(await score([item('right', 'mat'), item('wrong', 'max')]));
    const get = (protocol: string, metric: string): number => m.find((r) => r.protocol === protocol && r.metric === metric)!.value;
    assert.equal(get('libmoe', 'accuracy'), 0.5);
    assert.ok(Math.abs(get('libmoe', 'perplexity') - 2 ** (5 / 4)) < 1e-12); // −(5 ln ½)/4 tokens
    assert.ok(Math.abs(get('lm-eval-harness', 'perplexity') - 2 ** (5 / 2)) < 1e-12); // −(5 ln ½)/2 items
    assert.equal(get('lm-eval-harness', 'acc'), 0.5);
  });
});

describe('left truncation', () => {
  it('cuts the context from the left to fit the window and counts the item', async () => {
    const long: LastWordItem = { kind: 'last-word', id: 'long', group: 'total', context: 'RRRRR', target: 'mat', source: src };
    const short: LastWordItem = { kind: 'last-word', id: 'short', group: 'total', context: 'R', target: 'mat', source: src };
    const rs = (await score([long, short], 3)) as LastWordResult[];
    assert.equal(rs[0]!.truncated, true);
    assert.equal(rs[0]!.loglik, 2 * H); // the kept context still ends in R
    assert.equal(rs[1]!.truncated, false);
    const t = taskMetrics(rs).find((r) => r.metric === 'truncated')!;
    assert.deepEqual([t.value, t.n], [1, 2]);
  });

  it('fitWindow keeps the newest tokens: inputs = context + continuation − 1 ≤ maxTokens', () => {
    const f = fitWindow(Int32Array.from([1, 2, 3, 4, 5]), Int32Array.from([6, 7]), 4);
    assert.deepEqual([...f.context], [3, 4, 5]);
    assert.equal(f.cut, 2);
    // A continuation longer than the window loses its oldest tokens too; the one before the kept part is the context.
    const g = fitWindow(Int32Array.from([9]), Int32Array.from([1, 2, 3, 4, 5, 6]), 4);
    assert.deepEqual([[...g.context], [...g.continuation], g.cut], [[2], [3, 4, 5, 6], 2]);
  });
});

describe('batching', () => {
  it('gives the same results whatever the number of requests per scorer call', async () => {
    const items = [choice('a', 'Q', ['a', 'b b b'], 1), choice('b', 'RR', ['a', 'c'], 0, false), choice('c', 'Q', ['a', 'c', 'b'], 2),
      { kind: 'last-word', id: 'l', group: 'total', context: 'R', target: 'mat', source: src } as LastWordItem];
    const one = await score(items, 64, 1);
    for (const b of [2, 3, 100]) assert.deepStrictEqual(await score(items, 64, b), one);
  });
});

describe('group metrics', () => {
  const r = (id: string, group: string, correct: boolean): ChoiceResult => ({
    kind: 'choice', id, group, gold: 0, scores: [0, -1], logliks: [0, -1], tokens: [1, 1], chars: [1, 1], prediction: 0,
    correct, acc: correct, accNorm: !correct, truncated: false,
  });

  it('reports per-group accuracy, the mean over groups and the pooled average', () => {
    const m = taskMetrics([r('1', 'g1', true), r('2', 'g1', false), r('3', 'g1', false), r('4', 'g2', true)]);
    const lib = (g: string): number => m.find((x) => x.protocol === 'libmoe' && x.group === g)!.value;
    assert.equal(lib('g1'), 1 / 3);
    assert.equal(lib('g2'), 1);
    assert.equal(lib('group_average'), (1 / 3 + 1) / 2);
    assert.equal(lib('seq_average'), 2 / 4);
    const all = m.filter((x) => x.protocol === 'lm-eval-harness' && x.group === 'all');
    assert.deepEqual(all.map((x) => [x.metric, x.value, x.n]), [['acc', 0.5, 4], ['acc_norm', 0.5, 4]]);
  });
});
