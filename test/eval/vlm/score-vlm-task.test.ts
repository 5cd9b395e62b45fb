/** scoreVlmTask end to end on the fixtures, with fake answerers in place of greedy generation. */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { MetricRow } from '../../../src/eval/scoring/task-metrics.js';
import { optionLetter, type VlmItem, type VlmPrompt } from '../../../src/eval/vlm/items.js';
import { loadVlmItems } from '../../../src/eval/vlm/load-vlm-items.js';
import { scoreVlmTask, type VlmAnswerer } from '../../../src/eval/vlm/score-vlm-task.js';
import { vlmTask } from '../../../src/eval/vlm/tasks/registry.js';

const FIX = resolve('fixtures/eval/vlm');

/** Answers every prompt with `answer(item)`, recording the calls. */
class FakeAnswerer implements VlmAnswerer {
  readonly calls: VlmPrompt[][] = [];
  constructor(private readonly items: readonly VlmItem[], private readonly reply: (item: VlmItem) => string) {}
  async answer(prompts: readonly VlmPrompt[]): Promise<string[]> {
    this.calls.push([...prompts]);
    return prompts.map((p) => this.reply(this.items.find((i) => i.id === p.id)!));
  }
}

/** The right answer in a model's words. */
const oracle = (item: VlmItem): string => (item.kind === 'yes-no' ? (item.gold === 'yes' ? 'Yes' : 'No') : optionLetter(item.gold));

function value(rows: readonly MetricRow[], group: string, metric: string): number {
  return rows.find((r) => r.group === group && r.metric === metric)!.value;
}

describe('scoreVlmTask', () => {
  it('POPE: an oracle scores 1; batches of 5 are asked in item order with the image token placed', async () => {
    const { items } = await loadVlmItems(vlmTask('pope'), { dataDir: FIX });
    const answerer = new FakeAnswerer(items, oracle);
    const { results, metrics } = await scoreVlmTask(items, answerer, { task: 'pope', batchSize: 5 });
    assert.deepEqual(answerer.calls.map((c) => c.length), [5, 5, 2]);
    assert.deepEqual(answerer.calls.flat().map((p) => p.id), items.map((i) => i.id));
    assert.ok(answerer.calls.flat().every((p) => p.text.startsWith('<image>\n') && p.maxNewTokens === 128));
    assert.equal(results.length, 12);
    assert.deepEqual(results[0], { id: '1', group: 'random', gold: 'yes', output: 'Yes', lmmsEval: { parsed: 'yes', correct: true }, llava: { parsed: 'yes', correct: true } });
    assert.equal(value(metrics, 'all', 'pope_accuracy'), 1);
    assert.equal(value(metrics, 'all', 'pope_f1_score'), 1);
    assert.equal(value(metrics, 'adversarial', 'pope_accuracy'), 1);
  });

  it('POPE: always "yes" gives recall 1 and (POPE\'s) yes-ratio 1, whatever the batch size', async () => {
    const { items } = await loadVlmItems(vlmTask('pope'), { dataDir: FIX });
    const a = await scoreVlmTask(items, new FakeAnswerer(items, () => 'yes'), { task: vlmTask('pope'), batchSize: 1 });
    const b = await scoreVlmTask(items, new FakeAnswerer(items, () => 'yes'), { task: 'pope', batchSize: 64 });
    assert.deepEqual(a, b);
    assert.equal(value(a.metrics, 'all', 'pope_recall'), 1);
    assert.equal(value(a.metrics, 'all', 'yes_ratio'), 1);
    assert.equal(value(a.metrics, 'all', 'pope_accuracy'), 0.5);
  });

  it('ScienceQA-IMG: an oracle answering with the letter scores 1; "The answer is X." only under LLaVA\'s reading', async () => {
    const { items } = await loadVlmItems(vlmTask('scienceqa_img'), { dataDir: FIX });
    const exact = await scoreVlmTask(items, new FakeAnswerer(items, oracle), { task: 'scienceqa_img' });
    assert.equal(value(exact.metrics, 'all', 'exact_match'), 1);
    const verbose = await scoreVlmTask(items, new FakeAnswerer(items, (i) => `The answer is ${oracle(i)}.`), { task: 'scienceqa_img' });
    assert.equal(value(verbose.metrics, 'all', 'exact_match'), 0);
    assert.equal(value(verbose.metrics, 'all', 'accuracy'), 1);
  });

  it('MME: an oracle scores 200 per category (perception 4 × 200, cognition 2 × 200); always "yes" scores 50 per category', async () => {
    const { items } = await loadVlmItems(vlmTask('mme'), { dataDir: FIX });
    const perfect = await scoreVlmTask(items, new FakeAnswerer(items, oracle), { task: 'mme', batchSize: 3 });
    assert.equal(value(perfect.metrics, 'perception', 'mme_perception_score'), 800);
    assert.equal(value(perfect.metrics, 'cognition', 'mme_cognition_score'), 400);
    const yes = await scoreVlmTask(items, new FakeAnswerer(items, () => 'Yes'), { task: 'mme' });
    assert.equal(value(yes.metrics, 'count', 'accuracy'), 0.5);
    assert.equal(value(yes.metrics, 'count', 'accuracy_plus'), 0);
    assert.equal(value(yes.metrics, 'perception', 'mme_perception_score'), 200);
    assert.equal(value(yes.metrics, 'cognition', 'mme_cognition_score'), 100);
  });

  it('an answerer that returns the wrong number of answers is an error naming the task', async () => {
    const { items } = await loadVlmItems(vlmTask('pope'), { dataDir: FIX, limit: 2 });
    const short: VlmAnswerer = { answer: async () => ['yes'] };
    await assert.rejects(scoreVlmTask(items, short, { task: 'pope', batchSize: 2 }), /pope: the answerer returned 1 answers for 2 prompts/);
    await assert.rejects(scoreVlmTask(items, short, { task: 'pope', batchSize: 0 }), /batchSize must be a positive integer/);
  });
});
