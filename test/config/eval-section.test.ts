/** The `eval:` section of a pipeline file: defaults, and errors that name the key path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parsePipeline } from '../../src/config/load.js';
import { evalTaskNames } from '../../src/eval/tasks/registry.js';
import { routerCatalog } from '../../src/models/moe/registry.js';

const minimal = `
data: { files: [a.jsonl] }
model: { dModel: 64, nLayers: 2, nHeads: 2, headDim: 32, moe: { algorithm: moe_layer, nExperts: 4, topK: 2, expertSize: 16 } }
trainer: { steps: 10 }
`;
const catalog = { ...routerCatalog(), evalTasks: evalTaskNames() };

function problems(text: string, sets: string[] = []): string[] {
  try {
    parsePipeline(text, 'p.yaml', sets, catalog);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return [...e.problems];
  }
  assert.fail('expected a ConfigError');
}

test('no eval section: the run does not evaluate', () => {
  assert.equal(parsePipeline(minimal, 'p.yaml', [], catalog).config.eval, undefined);
});

test('an eval section gets its defaults: data/eval, every item, 32 per forward, final checkpoint only', () => {
  const { config } = parsePipeline(minimal + 'eval: { tasks: [piqa, lambada] }\n', 'p.yaml', [], catalog);
  assert.deepEqual(config.eval, { tasks: ['piqa', 'lambada'], data: 'data/eval', limit: 0, batchSize: 32, every: false, onBadRow: 'fail', routing: false, routesSample: 0.05 });
});

test('--set reaches the eval section like any other', () => {
  const { config } = parsePipeline(minimal, 'p.yaml', ['eval.tasks=[arc_easy]', 'eval.every=true', 'eval.limit=5'], catalog);
  assert.deepEqual([config.eval?.tasks, config.eval?.every, config.eval?.limit], [['arc_easy'], true, 5]);
});

test('bad eval values name their key path', () => {
  assert.deepEqual(problems(minimal + 'eval: { tasks: [piqa], batchSize: 0 }\n'), ['eval.batchSize: expected a positive integer, got 0']);
  assert.deepEqual(problems(minimal + 'eval: { tasks: [] }\n'), ['eval.tasks: expected a non-empty list, got []']);
  assert.match(problems(minimal + 'eval: { tasks: [piqa], evry: true }\n')[0]!, /^eval\.evry: unknown key; did you mean "every"\?/);
  assert.match(problems(minimal + 'eval: { limit: 3 }\n')[0]!, /^eval\.tasks: .*missing/);
});

test('an unknown task is named with its index and the closest known task', () => {
  const p = problems(minimal + 'eval: { tasks: [piqa, arc_eazy] }\n');
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^eval\.tasks\[1\]: unknown task "arc_eazy"; did you mean "arc_easy"\? \(known: lambada, blimp, /);
});
