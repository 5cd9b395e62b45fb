/**
 * VLM greedy generation and `pipeline eval` on a VLM run directory: a tiny VLM whose weights are
 * set by hand so its greedy answer is known (the final LayerNorm's weight 0 makes every
 * position's logits the same: lm_head · ln_f.bias), saved as checkpoints/step-N (vlm.json +
 * model.safetensors) beside a word-level tokenizer with the phi35 specials, scored on the
 * fixtures in fixtures/eval/vlm.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evalCommand } from '../../../src/cli/eval/command.js';
import { ModelVlmAnswerer, phi35GenerationPrompt } from '../../../src/cli/eval/vlm-answerer.js';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { saveVlmWeights } from '../../../src/models/vlm/model/vlm-checkpoint.js';
import type { VlmConfig } from '../../../src/models/vlm/model/vlm-config.js';
import { greedyGenerate, greedyGenerateBatch } from '../../../src/models/vlm/model/vlm-generate.js';
import { IMAGE_TOKEN_INDEX } from '../../../src/models/vlm/splice/constants.js';
import { tokenizerFromJson } from '../../../src/tokenizer/tokenizer.js';
import { query } from '../../sinks/duckdb.js';

const FIX = resolve('fixtures/eval/vlm');
const SPECIALS = ['<unk>', '<|end|>', '<|system|>', '<|user|>', '<|assistant|>', '<|endoftext|>'];
const WORDS = ['yes', 'no', 'A', 'B', 'C', 'Is', 'there', 'a', 'in', 'the'];
const VOCAB = [...SPECIALS, ...WORDS];
const id = (w: string): number => VOCAB.indexOf(w);

function tokenizerJson(): string {
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: SPECIALS.map((content, i) => ({ id: i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(VOCAB.map((w, i) => [w, i])), unk_token: '<unk>' },
  });
}

const CONFIG: VlmConfig = {
  tower: {
    arch: 'clip', imageSize: 8, patchSize: 4, hidden: 8, intermediate: 16, layers: 2, heads: 2,
    activation: 'quick_gelu', layerNormEps: 1e-5, scales: [1], moe: { algorithm: 'smoe', nExperts: 4, topK: 2 },
  },
  projector: { kind: 'moe', algorithm: 'smoe', nExperts: 4, topK: 2 },
  languageModel: { vocabSize: VOCAB.length, dModel: 16, nLayers: 1, nHeads: 2, headDim: 8, ffn: { kind: 'dense', hidden: 32 }, seed: 3 },
  seed: 5,
  maxLength: null,
};

/** Every position's greedy token is `token`: ln_f.weight 0, ln_f.bias e0, lm_head row 0 one-hot at `token`. */
function constantAnswer(model: VisionLanguageModel, token: number): void {
  const p = (n: string) => model.params.get(`language_model.${n}`)!;
  const d = 16;
  tf.tidy(() => {
    p('ln_f.weight').assign(tf.zeros([d]));
    p('ln_f.bias').assign(tf.tensor1d(Float32Array.from({ length: d }, (_, i) => (i === 0 ? 1 : 0))));
    const w = new Float32Array(d * VOCAB.length);
    w[token] = 10;
    p('lm_head.weight').assign(tf.tensor2d(w, [d, VOCAB.length]));
  });
}

/**
 * Says "yes", then <|end|>: every decoder block's weights 0 (each block adds nothing, so the last
 * position's state is its token's embedding), the embedding of "yes" one-hot at dim 1 and every
 * other token's at dim 0; after LN_f the hot dim is the largest, and lm_head maps dim 0 to "yes"
 * and dim 1 to <|end|>.
 */
function yesThenEnd(model: VisionLanguageModel): void {
  const d = 16;
  const keep = new Set(['language_model.embedding.weight', 'language_model.ln_f.weight', 'language_model.ln_f.bias', 'language_model.lm_head.weight']);
  tf.tidy(() => {
    for (const [name, v] of model.params) if (name.startsWith('language_model.') && !keep.has(name)) v.assign(tf.zerosLike(v));
    model.params.get('language_model.ln_f.weight')!.assign(tf.ones([d]));
    model.params.get('language_model.ln_f.bias')!.assign(tf.zeros([d]));
    const emb = new Float32Array(VOCAB.length * d);
    for (let t = 0; t < VOCAB.length; t++) emb[t * d + (t === id('yes') ? 1 : 0)] = 1;
    const e = model.params.get('language_model.embedding.weight')!;
    assert.deepEqual(e.shape, [VOCAB.length, d]);
    e.assign(tf.tensor2d(emb, [VOCAB.length, d]));
    const w = new Float32Array(d * VOCAB.length);
    w[0 * VOCAB.length + id('yes')] = 1;
    w[1 * VOCAB.length + id('<|end|>')] = 1;
    model.params.get('language_model.lm_head.weight')!.assign(tf.tensor2d(w, [d, VOCAB.length]));
  });
}

const pixels = (): Float32Array => Float32Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.sin(i));

before(async () => {
  await selectBackend('cpu');
});

describe('greedyGenerate', () => {
  it('answers the known token until <|end|>, stops at it, and reads the vision and projector routing once', async () => {
    const model = VisionLanguageModel.create(CONFIG);
    try {
      constantAnswer(model, id('yes'));
      const ids = Int32Array.from([id('<|user|>'), IMAGE_TOKEN_INDEX, id('Is'), id('<|end|>'), id('<|assistant|>')]);
      const g = await greedyGenerate(model, { ids, pixels: pixels(), maxNewTokens: 3 }, { stopIds: [id('<|end|>')], routing: true });
      assert.deepEqual(g.tokens, [id('yes'), id('yes'), id('yes')]);
      assert.equal(g.finish, 'length');
      assert.deepEqual(g.routing.map((r) => `${r.component}${r.layer}`), ['vision0', 'vision1', 'projector0']);
      // CLIP: 4 patches + the class token per tower layer; the projector routes the 4 patch features.
      for (const r of g.routing) {
        assert.equal(r.tokens, r.component === 'vision' ? 5 : 4);
        assert.equal(r.k, 2);
        assert.equal(r.topkCounts.length, 4);
        assert.equal(r.topkCounts.reduce((a, b) => a + b, 0), 2 * r.tokens);
        assert.equal(r.top1Counts.reduce((a, b) => a + b, 0), r.tokens);
      }
      constantAnswer(model, id('<|end|>'));
      const s = await greedyGenerate(model, { ids, pixels: pixels(), maxNewTokens: 5 }, { stopIds: [id('<|end|>')] });
      assert.deepEqual(s.tokens, []);
      assert.equal(s.finish, 'stop');
      // Deterministic: the same call gives the same tokens.
      constantAnswer(model, id('no'));
      const a = await greedyGenerate(model, { ids, pixels: pixels(), maxNewTokens: 2 }, { stopIds: [id('<|end|>')] });
      const b = await greedyGenerate(model, { ids, pixels: pixels(), maxNewTokens: 2 }, { stopIds: [id('<|end|>')] });
      assert.deepEqual(a.tokens, b.tokens);
      assert.deepEqual(a.tokens, [id('no'), id('no')]);
      // "yes", then <|end|> ends the answer.
      yesThenEnd(model);
      const y = await greedyGenerate(model, { ids, pixels: pixels(), maxNewTokens: 10 }, { stopIds: [id('<|end|>')] });
      assert.deepEqual(y.tokens, [id('yes')]);
      assert.equal(y.finish, 'stop');
    } finally {
      model.dispose();
    }
  });

  it('batched (right-padded) generation gives each prompt the answer and routing it gets alone', async () => {
    const model = VisionLanguageModel.create(CONFIG);
    try {
      const px = (v: number) => Float32Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.sin(i * 0.3 + v));
      const reqs = [
        { ids: Int32Array.from([id('<|user|>'), IMAGE_TOKEN_INDEX, id('Is'), id('<|end|>'), id('<|assistant|>')]), pixels: px(0), maxNewTokens: 4 },
        { ids: Int32Array.from([id('<|user|>'), IMAGE_TOKEN_INDEX, id('Is'), id('there'), id('a'), id('A'), id('<|end|>'), id('<|assistant|>')]), pixels: px(1), maxNewTokens: 6 },
        { ids: Int32Array.from([id('<|user|>'), id('B'), id('<|assistant|>')]), maxNewTokens: 3 },
        { ids: Int32Array.from([id('<|user|>'), IMAGE_TOKEN_INDEX, id('<|assistant|>')]), pixels: px(2), maxNewTokens: 1 },
      ];
      const opts = { stopIds: [id('<|end|>')], routing: true };
      const alone = [];
      for (const r of reqs) alone.push(await greedyGenerate(model, r, opts));
      const together = await greedyGenerateBatch(model, reqs, opts);
      assert.deepEqual(together.map((g) => g.tokens), alone.map((g) => g.tokens));
      assert.deepEqual(together.map((g) => g.finish), alone.map((g) => g.finish));
      assert.deepEqual(together.map((g) => g.routing), alone.map((g) => g.routing));
      assert.ok(alone.some((g) => g.tokens.length > 1));
    } finally {
      model.dispose();
    }
  });

  it('the answerer puts the user turn in the phi35 template with the image as one IMAGE_TOKEN_INDEX', async () => {
    const model = VisionLanguageModel.create(CONFIG);
    try {
      const tok = tokenizerFromJson(tokenizerJson());
      const ans = new ModelVlmAnswerer(model, tok);
      assert.equal(phi35GenerationPrompt('<image>\nIs there'), '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\n<image>\nIs there<|end|>\n<|assistant|>\n');
      const ids = Array.from(await ans.promptIds('<image>\nIs there'));
      assert.equal(ids.filter((x) => x === IMAGE_TOKEN_INDEX).length, 1);
      assert.equal(ids[ids.length - 1], id('<|assistant|>'));
      assert.ok(ids.includes(id('<|user|>')) && ids.includes(id('Is')));
    } finally {
      model.dispose();
    }
  });
});

describe('pipeline eval on a VLM run', () => {
  let root: string;
  let runDir: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'moeflow-vlm-eval-'));
    runDir = join(root, 'runs', 'vlm-tiny');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'config.yaml'), 'trainer:\n  backend: cpu\nrun:\n  id: vlm-tiny\n');
    await writeFile(join(runDir, 'tokenizer.json'), tokenizerJson());
    const model = VisionLanguageModel.create(CONFIG);
    yesThenEnd(model);
    await saveVlmWeights(join(runDir, 'checkpoints', 'step-2'), model);
    model.dispose();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const run = async (tasks: string, ...extra: string[]) => {
    let err = '';
    const code = await evalCommand([runDir, '--tasks', tasks, '--data', FIX, ...extra], { err: (s) => { err += s; }, out: () => {} });
    return { code, err };
  };

  it('scores POPE, ScienceQA-IMG and MME: eval/vlm-items, eval/results, eval/vlm-routing; a rerun skips', async () => {
    const r = await run('pope,scienceqa_img,mme', '--routing', '--batch-size', '3');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /step 2 pope: accuracy \d+\.\d\d on \d+ items/);
    assert.match(r.err, /step 2 scienceqa_img: accuracy 0\.00/);
    const items = (await query(`SELECT * FROM '${runDir}/eval/vlm-items-*.parquet' ORDER BY task, item_id`)).rows;
    const results = (await query(`SELECT * FROM '${runDir}/eval/results-*.parquet'`)).rows;
    const routing = (await query(`SELECT * FROM '${runDir}/eval/vlm-routing-*.parquet'`)).rows;
    for (const task of ['pope', 'scienceqa_img', 'mme']) {
      const its = items.filter((x) => x['task'] === task);
      const count = (m: string) => Number(results.find((x) => x['task'] === task && x['protocol'] === 'moeflow' && x['metric'] === m)?.['value']);
      assert.ok(its.length > 0, task);
      assert.equal(count('used'), its.length, task);
      assert.equal(count('read'), count('used') + count('skipped') + count('excluded'), task);
      assert.ok(results.some((x) => x['task'] === task && x['protocol'] !== 'moeflow'), `${task}: metric rows`);
      // The model says "yes" and stops at <|end|>.
      for (const it of its) {
        assert.equal(it['output'], 'yes');
        assert.equal(Number(it['new_tokens']), 1);
        assert.equal(it['finish'], 'stop');
      }
      const rt = routing.filter((x) => x['task'] === task);
      assert.equal(rt.length, its.length * 3, `${task}: two vision layers and the projector per item`);
      assert.deepEqual([...new Set(rt.map((x) => `${x['component']}${x['layer']}`))].sort(), ['projector0', 'vision0', 'vision1']);
    }
    // POPE: "yes" is right exactly on the gold-yes items, under both readings.
    for (const it of items.filter((x) => x['task'] === 'pope')) {
      assert.equal(Number(it['correct']), it['gold'] === 'yes' ? 1 : 0);
      assert.equal(it['llava_parsed'], 'yes');
      assert.equal(Number(it['llava_correct']), it['gold'] === 'yes' ? 1 : 0);
    }
    const acc = results.find((x) => x['task'] === 'pope' && x['group'] === 'all' && x['metric'] === 'pope_accuracy');
    const popeItems = items.filter((x) => x['task'] === 'pope');
    assert.equal(Number(acc?.['value']), popeItems.filter((x) => x['gold'] === 'yes').length / popeItems.length);
    // MME: "yes" reads as yes.
    for (const it of items.filter((x) => x['task'] === 'mme')) assert.equal(Number(it['correct']), it['gold'] === 'yes' ? 1 : 0);
    // ScienceQA: "yes" is no letter.
    for (const it of items.filter((x) => x['task'] === 'scienceqa_img')) assert.equal(Number(it['correct']), 0);

    const again = await run('pope,scienceqa_img,mme', '--routing');
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /already in eval\/results/);
    const parts = (await readdir(join(runDir, 'eval'))).filter((n) => n.startsWith('vlm-items-'));
    assert.equal(parts.length, 3);
  });

  it('an interrupted eval (items written, results not) is redone without duplicate rows; Parquet image bytes answer like files', async () => {
    const evalDir = join(runDir, 'eval');
    const results = (await readdir(evalDir)).filter((n) => n.startsWith('results-')).sort();
    // Drop the last task's results part: its item and routing rows are then an unfinished task's.
    await rm(join(evalDir, results[results.length - 1]!));
    const r = await run('pope,scienceqa_img,mme', '--routing');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /removed \d+ item rows/);
    const dup = (await query(`SELECT task, item_id, count(*) AS n FROM '${runDir}/eval/vlm-items-*.parquet' GROUP BY task, item_id HAVING count(*) > 1`)).rows;
    assert.deepEqual(dup, []);
    const routingDup = (await query(`SELECT task, item_id, component, layer, count(*) AS n FROM '${runDir}/eval/vlm-routing-*.parquet' GROUP BY ALL HAVING count(*) > 1`)).rows;
    assert.deepEqual(routingDup, []);

    const fromFiles = (await query(`SELECT item_id, output FROM '${runDir}/eval/vlm-items-*.parquet' WHERE task = 'pope' ORDER BY item_id`)).rows;
    const bytesRun = join(root, 'runs', 'vlm-bytes');
    await mkdir(bytesRun, { recursive: true });
    for (const f of ['config.yaml', 'tokenizer.json']) await writeFile(join(bytesRun, f), await readFile(join(runDir, f)));
    await cp(join(runDir, 'checkpoints'), join(bytesRun, 'checkpoints'), { recursive: true });
    let err = '';
    const code = await evalCommand([bytesRun, '--tasks', 'pope', '--file', `pope=${join(FIX, 'pope.parquet')}`], { err: (s) => { err += s; }, out: () => {} });
    assert.equal(code, 0, err);
    const fromBytes = (await query(`SELECT item_id, output FROM '${bytesRun}/eval/vlm-items-*.parquet' ORDER BY item_id`)).rows;
    assert.deepEqual(fromBytes, fromFiles);
  });

  it('an LM task on a VLM run is a clear error', async () => {
    const r = await run('piqa');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /VLM run.*piqa is a language-model task/);
  });

  it('a VLM task on a language-model run is a clear error', async () => {
    const lmRun = join(root, 'runs', 'lm-tiny');
    await mkdir(join(lmRun, 'checkpoints', 'step-1'), { recursive: true });
    await writeFile(join(lmRun, 'config.yaml'), 'run:\n  id: lm-tiny\n');
    let err = '';
    const code = await evalCommand([lmRun, '--tasks', 'pope', '--data', FIX], { err: (s) => { err += s; }, out: () => {} });
    assert.notEqual(code, 0);
    assert.match(err, /language-model run: pope is a VLM task/);
  });
});

it('--max-new-tokens caps the answer of a model that never stops', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moeflow-vlm-eval-cap-'));
  try {
    const runDir = join(root, 'run');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'config.yaml'), 'run:\n  id: cap\n');
    await writeFile(join(runDir, 'tokenizer.json'), tokenizerJson());
    const model = VisionLanguageModel.create(CONFIG);
    constantAnswer(model, id('yes'));
    await saveVlmWeights(join(runDir, 'checkpoints', 'step-1'), model);
    model.dispose();
    let err = '';
    const code = await evalCommand([runDir, '--tasks', 'pope', '--data', FIX, '--max-new-tokens', '2', '--backend', 'cpu'], { err: (s) => { err += s; }, out: () => {} });
    assert.equal(code, 0, err);
    const items = (await query(`SELECT output, new_tokens, finish FROM '${runDir}/eval/vlm-items-*.parquet'`)).rows;
    assert.ok(items.length > 0);
    for (const it of items) assert.deepEqual([it['output'], Number(it['new_tokens']), it['finish']], ['yes yes', 2, 'length']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
