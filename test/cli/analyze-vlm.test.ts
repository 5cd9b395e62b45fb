/**
 * `pipeline analyze` on vision-language runs: a tiny VLM trained two steps (MoE vision tower and
 * projector, dense decoder), and a copy whose decoder is MoE too with two identical checkpoints
 * (the same fresh model saved twice). Tables per component, identical checkpoints switch
 * nothing, the decoder's specialisation split by modality, DropTop on the answer tokens,
 * identical reruns, --probe FILES with --images, and the refusals.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parse, stringify } from 'yaml';
import { analyzeCommand } from '../../src/cli/analyze/command.js';
import { buildVlm } from '../../src/cli/run/vlm-driver.js';
import { parsePipeline } from '../../src/config/load.js';
import { selectBackend } from '../../src/models/backend.js';
import { saveVlmWeights } from '../../src/models/vlm/index.js';
import { loadTokenizer, vocabSize } from '../../src/tokenizer/tokenizer.js';
import { onlyRun, runPipelineCli } from '../integration/tiny-run.js';
import { query } from '../sinks/duckdb.js';
import { REPO_ROOT } from '../golden/golden-format.js';

const LLAVA = join(REPO_ROOT, 'fixtures/llava-synthetic');
/** Tower: 224-pixel images in 56-pixel patches (SigLIP: no class token) → 16 tokens per image. */
const TOKENS_PER_IMAGE = (224 / 56) ** 2;
const K = 2;

let root: string;
let trained: string;
let moeLm: string;
/** Held-out records per probe file (each file one domain). */
const HELD = { shapes: 3, more: 2 };

function pipeline(heldOut: readonly string[]): string {
  return `
name: tiny-vlm
data:
  sources:
    - kind: llava
      files: [${LLAVA}/instruct-train.jsonl]
      images: ${LLAVA}
      flow: [{op: conversation, template: phi35, labels: turns}, {op: image, processor: siglip224, workers: 1}]
  flow: [{op: padBatch}]
  tokenizer: { train: { vocabSize: 300, sampleDocs: 100 } }
  seqLen: 96
  batchSize: 4
  heldOut: { files: [${heldOut.join(', ')}] }
model:
  dModel: 32
  nLayers: 2
  nHeads: 2
  headDim: 16
  dense: true
  vlm:
    tower: { arch: siglip, imageSize: 224, patchSize: 56, hidden: 16, intermediate: 32, layers: 2, heads: 2, moe: { algorithm: smoe, nExperts: 4, topK: ${K} } }
    projector: { kind: moe, moe: { algorithm: smoe, nExperts: 4, topK: ${K} } }
trainer: { steps: 2, lr: 1.0e-3, warmupSteps: 1, gradClip: 1.0, checkpointEvery: 1, backend: wasm, seed: 1 }
`;
}

async function analyzeRun(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await analyzeCommand(args, { err: (s) => { err += s; }, out: () => {} });
  return { code, err };
}

const rowsOf = async (dir: string, table: string, order = 'ALL'): Promise<Record<string, unknown>[]> =>
  (await query(`SELECT * FROM '${dir}/analysis/${table}.parquet' ORDER BY ${order}`)).rows;
const num = (x: unknown): number => Number(x);

/** A copy of `src` whose decoder is MoE (smoe, E 4, K 2), checkpoints step-1 and step-2 both the same fresh model. */
async function moeDecoderCopy(src: string, dst: string): Promise<void> {
  await cp(src, dst, { recursive: true, filter: (p) => !/\/(checkpoints|analysis)(\/|$)/.test(p) });
  const doc = parse(await readFile(join(dst, 'config.yaml'), 'utf8')) as { model: Record<string, unknown>; run?: unknown };
  delete doc.model['dense'];
  doc.model['moe'] = { algorithm: 'smoe', nExperts: 4, topK: K, expertSize: 16 };
  await writeFile(join(dst, 'config.yaml'), stringify(doc));
  const { run: _run, ...pipelineDoc } = doc;
  const { config } = parsePipeline(stringify(pipelineDoc), 'config.yaml');
  await selectBackend('wasm');
  const model = await buildVlm(config, vocabSize(loadTokenizer(join(dst, 'tokenizer.json'))), undefined);
  try {
    for (const s of [1, 2]) await saveVlmWeights(join(dst, 'checkpoints', `step-${s}`), model);
  } finally {
    model.dispose();
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'moeflow-analyze-vlm-'));
  const lines = (await readFile(join(LLAVA, 'instruct-heldout.jsonl'), 'utf8')).split('\n').filter(Boolean);
  const files = [join(root, 'shapes.jsonl'), join(root, 'more.jsonl')];
  await writeFile(files[0]!, lines.slice(0, HELD.shapes).join('\n') + '\n');
  await writeFile(files[1]!, lines.slice(HELD.shapes, HELD.shapes + HELD.more).join('\n') + '\n');
  await writeFile(join(root, 'tiny-vlm.yaml'), pipeline(files));
  const r = await runPipelineCli(['run', join(root, 'tiny-vlm.yaml'), '--out', join(root, 'runs')]);
  assert.equal(r.code, 0, r.err);
  trained = await onlyRun(join(root, 'runs'));
  moeLm = join(root, 'moe-lm');
  await moeDecoderCopy(trained, moeLm);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pipeline analyze on a VLM run', () => {
  it('MoE tower and projector: every table per component, image tokens only, answer-token DropTop, readable plots', async () => {
    const a = await analyzeRun(trained, '--batch-size', '4');
    assert.equal(a.code, 0, a.err);
    assert.match(a.err, /probe set: 5 records in 2 batches from the run's held-out records \(data\.heldOut\.files\).*; shapes 3, more 2/);
    const files = (await readdir(join(trained, 'analysis'))).sort();
    const tables = ['ablation', 'ani', 'cooccurrence', 'dynamics', 'layers', 'specialisation', 'universality', 'usage', 'vocabulary'];
    const plots = ['ablation.png', 'coactivation.png', 'dynamics.png', 'layer-similarity.png', 'specialisation.png'];
    assert.deepEqual(files, [...tables.map((t) => `${t}.parquet`), ...plots, 'analysis.md'].sort());
    for (const p of plots) {
      const meta = await sharp(join(trained, 'analysis', p)).metadata();
      assert.ok(meta.format === 'png' && meta.width! > 200 && meta.height! > 150, `${p}: ${meta.width}×${meta.height}`);
    }
    // Every routed token is an image's: vision layers 0 and 1 and the projector, 16 tokens per image.
    const images = HELD.shapes + HELD.more;
    const dyn = await rowsOf(trained, 'dynamics');
    const sites = [...new Set(dyn.map((r) => `${r['component']} ${r['layer']}`))].sort();
    assert.deepEqual(sites, ['projector 0', 'vision 0', 'vision 1']);
    for (const r of dyn.filter((x) => x['domain'] === 'all')) assert.equal(r['tokens'], images * TOKENS_PER_IMAGE, `${r['component']} ${r['layer']}`);
    for (const r of dyn.filter((x) => x['domain'] === 'shapes')) assert.equal(r['tokens'], HELD.shapes * TOKENS_PER_IMAGE);
    // Specialisation: modality image everywhere (nothing to split), shares sum to k per layer and domain.
    const spec = await query(`SELECT step, component, layer, domain, list(DISTINCT modality) AS m, sum(share) AS s FROM '${trained}/analysis/specialisation.parquet' GROUP BY ALL`);
    assert.equal(spec.rows.length, 2 * 3 * 2);
    for (const r of spec.rows) {
      assert.deepEqual(r['m'], ['image']);
      assert.ok(Math.abs(num(r['s']) - K) < 1e-9, `shares sum to k: ${num(r['s'])}`);
    }
    // Vocabulary: a vision token's "id" is its position in the image.
    const vocab = await query(`SELECT min(token_id) AS lo, max(token_id) AS hi, sum(occurrences) AS n FROM '${trained}/analysis/vocabulary.parquet' WHERE step = 2 AND component = 'vision' AND layer = 0`);
    assert.deepEqual([num(vocab.rows[0]!['lo']), num(vocab.rows[0]!['hi']), num(vocab.rows[0]!['n'])], [0, TOKENS_PER_IMAGE - 1, images * TOKENS_PER_IMAGE]);
    // Layers compared within a component; the ANI of every MoE layer (vision experts under the projector's names).
    const layers = await rowsOf(trained, 'layers');
    assert.ok(layers.every((r) => r['component'] === 'vision' ? [0, 1].includes(num(r['other'])) : r['other'] === 0));
    const ani = await query(`SELECT DISTINCT component, layer, matrix FROM '${trained}/analysis/ani.parquet' ORDER BY ALL`);
    assert.equal(ani.rows.length, 3 * 4);
    // DropTop on the answer tokens: the same tokens intact and ablated, at both steps.
    const abl = await rowsOf(trained, 'ablation', 'step, drop_top');
    const all = abl.filter((r) => r['domain'] === 'all');
    assert.deepEqual(all.map((r) => [r['step'], r['drop_top']]), [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2]]);
    assert.ok(num(all[0]!['tokens']) > 0 && all.every((r) => r['tokens'] === all[0]!['tokens']));
    assert.ok(all.every((r) => Number.isFinite(num(r['perplexity']))));
    const md = await readFile(join(trained, 'analysis', 'analysis.md'), 'utf8');
    assert.match(md, /every token they route is an image token: there is no per-modality split/);
    assert.match(md, /\| vision 0 \|.*\n\| vision 1 \|.*\n\| projector \|/);
    assert.match(md, /## Expert ablation \(answer-token perplexity\)/);
  });

  it('an MoE decoder too: identical checkpoints switch nothing, the decoder is split by modality, DropTop moves the answer perplexity', async () => {
    const a = await analyzeRun(moeLm, '--no-plots');
    assert.equal(a.code, 0, a.err);
    const dyn = await rowsOf(moeLm, 'dynamics');
    assert.deepEqual([...new Set(dyn.map((r) => `${r['component']} ${r['layer']}`))].sort(), ['language_model 0', 'language_model 1', 'projector 0', 'vision 0', 'vision 1']);
    for (const r of dyn.filter((x) => x['step'] === 2)) {
      assert.deepEqual([r['switch_fraction'], r['saturation']], [0, 1], `${r['component']} ${r['layer']} ${r['domain']}`);
    }
    // The decoder routes every image's feature rows (as many as the projector's tokens) and the text tokens.
    const projected = num(dyn.find((r) => r['component'] === 'projector' && r['domain'] === 'all')!['tokens']);
    const lmAll = num(dyn.find((r) => r['component'] === 'language_model' && r['domain'] === 'all')!['tokens']);
    const byModality = await query(`SELECT modality, any_value(domain_tokens) AS n, sum(share) AS s FROM '${moeLm}/analysis/specialisation.parquet'
      WHERE step = 2 AND component = 'language_model' AND layer = 0 AND domain = 'all' GROUP BY ALL ORDER BY modality`);
    assert.deepEqual(byModality.rows.map((r) => [r['modality'], num(r['n'])]), [['image', projected], ['text', lmAll - projected]]);
    for (const r of byModality.rows) assert.ok(Math.abs(num(r['s']) - K) < 1e-9);
    const tower = await query(`SELECT DISTINCT modality FROM '${moeLm}/analysis/specialisation.parquet' WHERE component <> 'language_model'`);
    assert.deepEqual(tower.rows.map((r) => r['modality']), ['image']);
    const abl = (await rowsOf(moeLm, 'ablation', 'step, drop_top')).filter((r) => r['domain'] === 'all' && r['step'] === 2);
    assert.notEqual(abl[1]!['perplexity'], abl[0]!['perplexity'], 'DropTop-1 changes the answer-token perplexity');
    const md = await readFile(join(moeLm, 'analysis', 'analysis.md'), 'utf8');
    assert.match(md, /## Specialisation by modality at step 2 \(language model\)/);
    assert.match(md, /\| LM 0 \| image \| \d+ \|/);
  });

  it('a second analysis gives identical tables; --probe FILES with --images: one domain per file', async () => {
    const again = join(root, 'again');
    await cp(trained, again, { recursive: true, filter: (p) => !/\/analysis(\/|$)/.test(p) });
    assert.equal((await analyzeRun(again, '--batch-size', '4', '--no-plots')).code, 0);
    for (const t of ['dynamics', 'specialisation', 'vocabulary', 'cooccurrence', 'layers', 'universality', 'usage', 'ablation', 'ani']) {
      assert.deepStrictEqual(await rowsOf(again, t), await rowsOf(trained, t), t);
    }
    const probe = join(root, 'probe');
    await cp(trained, probe, { recursive: true, filter: (p) => !/\/analysis(\/|$)/.test(p) });
    const a = await analyzeRun(probe, '--probe', join(root, 'more.jsonl'), '--images', LLAVA, '--checkpoints', 'last', '--no-ablation', '--no-plots');
    assert.equal(a.code, 0, a.err);
    assert.match(a.err, /probe set: 2 records in 1 batches from .*more\.jsonl/);
    const domains = await query(`SELECT DISTINCT domain FROM '${probe}/analysis/specialisation.parquet'`);
    assert.deepEqual(domains.rows.map((r) => r['domain']), ['more']);
  });

  it('refuses what does not fit a VLM run, naming why', async () => {
    const tasks = await analyzeRun(trained, '--probe', 'piqa');
    assert.equal(tasks.code, 2);
    assert.match(tasks.err, /is a VLM run: --probe TASKS names language-model evaluation tasks/);
    const images = await analyzeRun(trained, '--images', LLAVA);
    assert.equal(images.code, 2);
    assert.match(images.err, /--images is for a VLM run's --probe FILES/);
    const compare = await analyzeRun('--compare', trained, moeLm);
    assert.equal(compare.code, 2);
    assert.match(compare.err, /is a vision-language run: pipeline analyze --compare lines up language-model runs/);
  });
});
