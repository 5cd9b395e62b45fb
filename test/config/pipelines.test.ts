import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadPipeline, parsePipeline } from '../../src/config/load.js';
import { routerCatalog } from '../../src/models/moe/registry.js';

const pipelinesDir = join(process.cwd(), 'pipelines');

test('every shipped pipeline validates', async () => {
  const files = (await readdir(pipelinesDir)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 9, `found ${files.join(', ')}`);
  for (const f of files) {
    const { config } = await loadPipeline(join(pipelinesDir, f), [], routerCatalog());
    assert.ok(config.trainer.steps > 0, f);
  }
});

test('lm-154m carries LibMoE 154M configuration', async () => {
  const { config: c } = await loadPipeline(join(pipelinesDir, 'lm-154m.yaml'));
  assert.deepEqual(
    [c.model.nLayers, c.model.dModel, c.model.nHeads, c.model.headDim, c.model.moe?.nExperts, c.model.moe?.expertSize, c.model.moe?.topK, c.data.seqLen, c.model.vocab],
    [16, 512, 4, 82, 66, 128, 8, 1024, 8000],
  );
  assert.deepEqual([c.trainer.lr, c.trainer.weightDecay, c.trainer.minLrRatio, c.trainer.gradClip, c.data.batchSize * c.trainer.accumulate], [2.5e-4, 0.01, 0.1, 0.1, 64]);
  // What fits wasm's 4 GiB heap: one sequence per micro-batch, activations recomputed (docs/models.md).
  assert.deepEqual([c.data.batchSize, c.trainer.recompute], [1, true]);
});

test('the one-router-per-family pipelines cover the LM router families', async () => {
  const algs = new Set<string>();
  for (const f of ['lm-softmax', 'lm-sigmoid', 'lm-xmoe', 'lm-deepseekv2', 'lm-deepseek-auxfree', 'lm-tcmoe', 'lm-remoe']) {
    algs.add((await loadPipeline(join(pipelinesDir, `${f}.yaml`))).config.model.moe!.algorithm);
  }
  assert.deepEqual([...algs].sort(), ['moe_layer', 'moe_layer_deepseekv2', 'moe_layer_remoe', 'moe_layer_tc_moe', 'moe_layer_xmoe']);
});

const minimal = `
data: { files: [a.jsonl] }
model: { dModel: 64, nLayers: 2, nHeads: 2, headDim: 32, moe: { algorithm: moe_layer, nExperts: 4, topK: 2, expertSize: 16 } }
trainer: { steps: 10 }
`;

function problems(text: string, sets: string[] = []): string[] {
  try {
    parsePipeline(text, 'p.yaml', sets, routerCatalog());
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return [...e.problems];
  }
  assert.fail('expected a ConfigError');
}

test('defaults are filled in for every key a pipeline leaves out', () => {
  const { config } = parsePipeline(minimal, 'p.yaml');
  assert.equal(config.trainer.lr, 2.5e-4);
  assert.deepEqual(config.trainer.betas, [0.9, 0.999]);
  assert.equal(config.stats.flushEveryRows, 100_000);
  assert.equal(config.out.dir, 'runs');
  assert.deepEqual(config.data.tokenizer, { train: { vocabSize: 8000, sampleDocs: 2000 } });
  assert.equal(config.model.moe!.every, 1);
});

test('a wrong value names its key path, what was expected and what was given', () => {
  assert.deepEqual(problems(minimal, ['trainer.lr=abc']), ['trainer.lr: expected a positive number, got "abc" (from --set trainer.lr=abc)']);
  assert.deepEqual(problems(minimal.replace('steps: 10', 'steps: -3')), ['trainer.steps: expected a positive integer, got -3']);
  assert.deepEqual(problems(minimal, ['trainer.backend=gpu']), ['trainer.backend: expected one of "auto", "tensorflow", "webgpu", "wasm", "cpu", got "gpu" (from --set trainer.backend=gpu)']);
});

test('an unknown key is an error naming it and suggesting the closest valid key', () => {
  const p = problems(minimal, ['trainer.learningRat=1']);
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^trainer\.learningRat: unknown key/);
  const q = problems(minimal.replace('nLayers', 'nLayer'));
  assert.ok(q.some((x) => /^model\.nLayer: unknown key; did you mean "nLayers"\?/.test(x)), q.join('\n'));
  const r = problems(minimal + 'stat: {}\n');
  assert.match(r[0]!, /^stat: unknown key; did you mean "stats"\?/);
});

test('a missing required key says so', () => {
  assert.deepEqual(problems(minimal.replace('trainer: { steps: 10 }', 'trainer: {}')), ['trainer.steps: expected a positive integer, got nothing (the key is missing)']);
});

test('cross-field rules: top-k larger than the expert count, and an MoE model without a moe section', () => {
  assert.deepEqual(problems(minimal, ['model.moe.topK=5']), ['model.moe.topK: expected at most nExperts (4), got 5 (from --set model.moe.topK=5)']);
  const dense = parsePipeline(minimal.replace(/, moe: \{.*\} \}/, ', dense: true }'), 'p.yaml');
  assert.equal(dense.config.model.dense, true);
  assert.match(problems(minimal.replace(/, moe: \{.*\} \}/, ' }'))[0]!, /^model\.moe: expected a moe section/);
});

test('an unknown router name suggests the closest LibMoE name', () => {
  assert.match(problems(minimal, ['model.moe.algorithm=moe_layr'])[0]!, /model\.moe\.algorithm: unknown router "moe_layr"; did you mean "moe_layer"\?/);
});

test('--set values are YAML scalars or flow lists', () => {
  const { config } = parsePipeline(minimal, 'p.yaml', ['data.files=[a.jsonl.zst,b.jsonl.zst]', 'stats.arrowStream=true', 'trainer.lr=3e-4', 'trainer.betas=[0.9,0.95]', 'data.files.1=c.jsonl', 'data.weights.RedPajamaC4=2']);
  assert.deepEqual(config.data.files, ['a.jsonl.zst', 'c.jsonl'], 'a numeric segment indexes into the list');
  assert.equal(config.stats.arrowStream, true);
  assert.equal(config.trainer.lr, 3e-4);
  assert.deepEqual(config.trainer.betas, [0.9, 0.95]);
  assert.deepEqual(config.data.weights, { RedPajamaC4: 2 });
});

test('a malformed --set and a YAML syntax error are clear errors', () => {
  assert.throws(() => parsePipeline(minimal, 'p.yaml', ['trainer.lr']), /--set trainer\.lr: expected KEY\.PATH=VALUE/);
  assert.match(problems('data: [\n')[0]!, /^line \d+, column \d+: /);
});

test('the tokenizer is either a path or a training spec', () => {
  const { config } = parsePipeline(minimal, 'p.yaml', ['data.tokenizer={path: tok.json}']);
  assert.deepEqual(config.data.tokenizer, { path: 'tok.json' });
  assert.match(problems(minimal, ['data.tokenizer={file: tok.json}']).join('\n'), /data\.tokenizer/);
});

test('the small shipped pipelines read files that ship with the repository', async () => {
  const { glob } = await import('tinyglobby');
  for (const f of (await readdir(pipelinesDir)).filter((x) => x.endsWith('.yaml') && x !== 'lm-154m.yaml')) {
    const { config } = await loadPipeline(join(pipelinesDir, f));
    for (const pattern of config.data.files ?? config.data.sources!.flatMap((s) => s.files)) {
      const hits = await glob(pattern, { cwd: process.cwd() });
      assert.ok(hits.length > 0, `${f}: ${pattern} matches no file`);
    }
  }
});

test('evaluation without held-out data is a pipeline error naming trainer.evalEvery', () => {
  assert.match(problems(minimal, ['trainer.evalEvery=10'])[0]!, /^trainer\.evalEvery: evaluation needs held-out data/);
  assert.doesNotThrow(() => parsePipeline(minimal, 'p.yaml', ['trainer.evalEvery=10', 'data.heldOut.docs=5']));
});

test('a router option the router does not declare is an error at load, naming the key path, the router and the closest option', () => {
  assert.deepEqual(problems(minimal, ['model.moe.options.bogus_option=3']), [
    'model.moe.options.bogus_option: unknown option for router "moe_layer" (its options: perplexity_reg, perplexity_reg_mode, selection_mode) (from --set model.moe.options.bogus_option=3)',
  ]);
  assert.deepEqual(problems(minimal, ['model.moe.options={perplexity_regg: 0.1}']), [
    'model.moe.options.perplexity_regg: unknown option for router "moe_layer"; did you mean "perplexity_reg"? (its options: perplexity_reg, perplexity_reg_mode, selection_mode) (from --set model.moe.options={perplexity_regg: 0.1})',
  ]);
  // The options are those of the router the pipeline names, after every override.
  assert.match(problems(minimal, ['model.moe.algorithm=hyperrouter', 'model.moe.options={perplexity_reg: 0.1}'])[0]!, /^model\.moe\.options\.perplexity_reg: unknown option for router "hyperrouter" \(its options: topk_max, topk_min\)/);
  assert.doesNotThrow(() => parsePipeline(minimal, 'p.yaml', ['model.moe.algorithm=hyperrouter', 'model.moe.options={topk_min: 1, topk_max: 3}'], routerCatalog()));
});

test('a router option value the router would refuse is an error at load (and so at --dry-run), not at model build', () => {
  assert.deepEqual(problems(minimal, ['model.moe.algorithm=moe_layer_xmoe', 'model.moe.options={perplexity_reg_mode: standard}']), [
    'model.moe.options: moe_layer_xmoe: option perplexity_reg_mode must be one of step, time, global, got "standard" (from --set model.moe.options={perplexity_reg_mode: standard})',
  ]);
  assert.match(problems(minimal, ['model.moe.options.perplexity_reg=high'])[0]!, /^model\.moe\.options: moe_layer: option perplexity_reg must be a finite number, got "high"/);
});

test('warmup longer than the run names both keys and the --set that made it so (defect 10)', () => {
  const warm = minimal.replace('trainer: { steps: 10 }', 'trainer: { steps: 1000, warmupSteps: 500 }');
  assert.deepEqual(problems(warm, ['trainer.steps=20']), ['trainer.warmupSteps (500) must be at most trainer.steps (20), set by --set trainer.steps=20']);
  assert.deepEqual(problems(minimal, ['trainer.warmupSteps=50']), ['trainer.warmupSteps (50) must be at most trainer.steps (10), set by --set trainer.warmupSteps=50']);
  assert.deepEqual(problems(minimal, ['trainer.warmupSteps=50', 'trainer.steps=20']),
    ['trainer.warmupSteps (50) must be at most trainer.steps (20), set by --set trainer.warmupSteps=50 and --set trainer.steps=20']);
  assert.deepEqual(problems(warm.replace('steps: 1000', 'steps: 20')), ['trainer.warmupSteps (500) must be at most trainer.steps (20)'], 'no --set: the file is the cause');
});
