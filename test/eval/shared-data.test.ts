/** The real samples in ../shared/data/eval (PROVENANCE.md) load in full, in both formats, when present. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTaskItems } from '../../src/eval/data/load-task-items.js';
import type { ChoiceItem, LastWordItem } from '../../src/eval/items.js';
import { evalTask } from '../../src/eval/tasks/registry.js';
import { sharedPath } from '../ops/helpers.js';

const dir = sharedPath('data/eval');
const skip = dir ? false : 'shared/data/eval is absent (set MOEFLOW_SHARED to the shared folder to run this)';

describe('shared evaluation samples', { skip }, () => {
  it('every row of every task becomes an item, and the counts reconcile', async () => {
    const expected: Record<string, number> = { piqa: 200, arc_easy: 200, arc_challenge: 200, hellaswag: 200, lambada: 200, blimp: 500 };
    for (const [name, rows] of Object.entries(expected)) {
      const l = await loadTaskItems(evalTask(name), { dataDir: dir! });
      assert.equal(l.counts.read, rows, name);
      assert.equal(l.counts.skipped, 0, name);
      assert.equal(l.counts.used + l.counts.excluded, rows, name);
    }
  });

  it('llm-foundry PIQA gets LibMoE\'s prompt; HellaSwag HF rows get the harness context', async () => {
    const piqa = (await loadTaskItems(evalTask('piqa'), { dataDir: dir! })).items[0] as ChoiceItem;
    assert.equal(piqa.context, "Question: What is the best way to check if a baby's milk isn't too hot?\nAnswer:");
    assert.equal(piqa.gold, 1);
    const hs = (await loadTaskItems(evalTask('hellaswag'), { dataDir: dir! })).items[0] as ChoiceItem;
    assert.equal(hs.context, 'Pole vault: Pole vault is a sport where you run with a pole and stop and swing your body. A few women');
    assert.equal(hs.gold, 3);
  });

  it('LAMBADA rows split into context and a one-word target; BLiMP groups are the five phenomena', async () => {
    const lam = (await loadTaskItems(evalTask('lambada'), { dataDir: dir! })).items as LastWordItem[];
    assert.equal(lam[0]!.target, 'constables');
    assert.ok(lam.every((i) => !/\s/.test(i.target)));
    const groups = new Set((await loadTaskItems(evalTask('blimp'), { dataDir: dir! })).items.map((i) => i.group));
    assert.equal(groups.size, 5);
  });
});
