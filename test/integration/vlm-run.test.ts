/**
 * `pipeline run` on a VLM pipeline (model.vlm): the three shipped stage pipelines at tiny step
 * counts from a clean folder, freezing, upcycling identity, held-out accuracy, SIGKILL resume,
 * and schema errors naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/models/backend.js';
import { readSafetensors } from '../../src/models/checkpoint/safetensors.js';
import { IMAGE_TOKEN_INDEX } from '../../src/models/vlm/splice/constants.js';
import { readVlmConfig, vlmFromCheckpoint, VisionLanguageModel, type VlmBatch } from '../../src/models/vlm/index.js';
import { parsePipeline } from '../../src/config/load.js';
import { buildVlm, initCheckpoint } from '../../src/cli/run/vlm-driver.js';
import { query } from '../sinks/duckdb.js';
import { runPipelineCli, spawnPipeline } from './tiny-run.js';

const TINY = ['--set', 'trainer.steps=3', '--set', 'trainer.warmupSteps=1', '--set', 'trainer.checkpointEvery=0', '--backend', 'wasm'];

async function runOf(out: string, name: string): Promise<string> {
  const runs = (await readdir(out)).filter((n) => n.startsWith(`${name}-`));
  assert.equal(runs.length, 1, `one ${name} run in ${out}: ${runs.join(', ')}`);
  return join(out, runs[0]!);
}

function imageBatch(vocab: number): VlmBatch {
  const l = 12;
  const ids = Int32Array.from({ length: l }, (_, i) => (i === 2 ? IMAGE_TOKEN_INDEX : 3 + ((i * 7) % (vocab - 3))));
  const labels = Int32Array.from(ids, (x, i) => (i < 4 ? -100 : x));
  const pixels = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001));
  return { batchSize: 1, seqLen: l, ids, labels, attentionMask: new Uint8Array(l).fill(1), pixels, imageShape: [3, 224, 224], imageRows: Int32Array.of(0) };
}

test('the three VLM stages run from a clean folder: stage 1 trains only the projector, stage 3 starts as stage 2 ends, held-out accuracy is reported', async () => {
  const out = await mkdtemp(join(tmpdir(), 'moeflow-vlm-'));
  await selectBackend('cpu');
  try {
    const s1 = await runPipelineCli(['run', 'pipelines/vlm-stage1.yaml', '--out', out, ...TINY]);
    assert.equal(s1.code, 0, s1.err);
    const run1 = await runOf(out, 'vlm-stage1');
    const cp1 = initCheckpoint(run1);
    // Stage 1: the tower and the LM are bit-identical to the fresh model (same seeds); the projector moved.
    const fresh = VisionLanguageModel.create(await readVlmConfig(cp1));
    const { tensors } = await readSafetensors(join(cp1, 'model.safetensors'));
    let projectorMoved = false;
    for (const [name, v] of fresh.params) {
      const saved = tensors.get(name)!.data as Float32Array;
      const same = Buffer.from((await v.data() as Float32Array).buffer).equals(Buffer.from(saved.buffer, saved.byteOffset, saved.byteLength));
      if (name.startsWith('mm_projector.')) projectorMoved ||= !same;
      else assert.ok(same, `${name} changed in stage 1`);
    }
    assert.ok(projectorMoved, 'stage 1 trains the projector');
    fresh.dispose();

    const s2 = await runPipelineCli(['run', 'pipelines/vlm-stage2.yaml', '--out', out, '--set', `model.vlm.init.from=${join(out, 'vlm-stage1')}`, ...TINY]);
    assert.equal(s2.code, 0, s2.err);
    const run2 = await runOf(out, 'vlm-stage2');
    assert.match(s2.err, /held-out answers \(65 records, teacher-forced answer-token accuracy\): [\d.]+% of answer tokens/);
    const held = JSON.parse(await readFile(join(run2, 'heldout.json'), 'utf8')) as { tokenAccuracy: number; majorityBaseline: number; answerTokens: number };
    assert.ok(held.answerTokens > 0 && held.tokenAccuracy >= 0 && held.tokenAccuracy <= 1);
    assert.ok(held.majorityBaseline > 0 && held.majorityBaseline < 1);
    const ev = (await query(`SELECT step, accuracy FROM read_parquet('${join(run2, 'eval')}-*.parquet')`)).rows;
    assert.equal(ev.length, 1);

    const s3 = await runPipelineCli(['run', 'pipelines/vlm-stage3.yaml', '--out', out, '--set', `model.vlm.init.from=${run2}`, ...TINY]);
    assert.equal(s3.code, 0, s3.err);
    const run3 = await runOf(out, 'vlm-stage3');
    assert.ok(existsSync(join(run3, 'heldout.json')));
    const routing = (await query(`SELECT count(DISTINCT layer)::INT AS n FROM read_parquet('${join(run3, 'routing/layers')}-*.parquet')`)).rows;
    assert.equal(routing[0]!['n'], 3, 'two vision layers and the projector route');
    const parts = (await query(`SELECT DISTINCT layer, component, modality FROM read_parquet('${join(run3, 'routing/experts')}-*.parquet') ORDER BY layer`)).rows;
    assert.deepEqual(parts, [
      { layer: 0, component: 'vision layer 0', modality: 'image' }, { layer: 1, component: 'vision layer 1', modality: 'image' }, { layer: 2, component: 'projector', modality: 'image' },
    ]);
    const aux = (await query(`SELECT * FROM read_parquet('${join(run3, 'metrics')}-*.parquet') LIMIT 1`)).rows[0]!;
    assert.ok(Object.keys(aux).some((k) => /balance_loss_clip/.test(k)), `logged aux: ${Object.keys(aux).join(', ')}`);

    // Upcycling identity: the model stage 3 starts from gives stage 2's final logits (within float32).
    const { config } = parsePipeline(await readFile('pipelines/vlm-stage3.yaml', 'utf8'), 'vlm-stage3.yaml');
    const cp2 = initCheckpoint(run2);
    const dense = await vlmFromCheckpoint(cp2);
    const vocab = (await readVlmConfig(cp2)).languageModel as { vocabSize: number };
    const moe = await buildVlm(config, vocab.vocabSize, cp2);
    const batch = imageBatch(vocab.vocabSize);
    const ctx = { training: false, step: 0, totalSteps: 1 };
    const a = await dense.forward(batch, ctx).logits.data();
    const b = await moe.forward(batch, ctx).logits.data();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(a[i]!)));
    assert.ok(worst < 1e-4, `upcycled logits differ by ${worst}`);
    dense.dispose(); moe.dispose();
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('a VLM whose tower, projector and language model are all MoE: routing per component, the decoder\'s per modality, drawn by the report', async () => {
  const out = await mkdtemp(join(tmpdir(), 'moeflow-vlm-parts-'));
  try {
    const moe = '{algorithm: smoe, nExperts: 4, topK: 2}';
    const r = await runPipelineCli(['run', 'pipelines/vlm-stage1.yaml', '--out', out, ...TINY, '--set', 'trainer.trainable=["*"]', '--set', 'model.dense=false',
      '--set', 'model.moe={algorithm: smoe, nExperts: 4, topK: 2, expertSize: 32, every: 1}', '--set', `model.vlm.tower.moe=${moe}`, '--set', `model.vlm.projector={kind: moe, moe: ${moe}}`]);
    assert.equal(r.code, 0, r.err);
    const run = await runOf(out, 'vlm-stage1');
    const table = (t: string) => `read_parquet('${join(run, 'routing', t)}-*.parquet')`;
    const parts = (await query(`SELECT DISTINCT layer, component, modality FROM ${table('layers')} ORDER BY layer, modality`)).rows;
    assert.deepEqual(parts.map((p) => `${p.layer} ${p.component} ${p.modality}`), [
      '0 vision layer 0 image', '1 vision layer 1 image', '2 projector image', '3 lm layer 0 image', '3 lm layer 0 text', '4 lm layer 1 image', '4 lm layer 1 text',
    ]);
    assert.ok(!existsSync(join(run, 'routing-components.json')), 'the columns replace the side file');
    // Per step: the decoder's image rows are the projector's rows (every feature row is spliced
    // in), its image and text rows together are the step's real (non-padding) rows.
    const steps = (await query(`SELECT m.step, m.tokens::INT AS real_rows,
        max(l.tokens) FILTER (WHERE l.component = 'projector')::INT AS projector,
        max(l.tokens) FILTER (WHERE l.component = 'lm layer 1' AND l.modality = 'image')::INT AS lm_image,
        max(l.tokens) FILTER (WHERE l.component = 'lm layer 1' AND l.modality = 'text')::INT AS lm_text
      FROM read_parquet('${join(run, 'metrics')}-*.parquet') m JOIN ${table('layers')} l USING (step) GROUP BY m.step, m.tokens ORDER BY m.step`)).rows;
    assert.equal(steps.length, 3);
    for (const s of steps) {
      assert.ok((s.lm_image as number) > 0 && (s.lm_text as number) > 0, JSON.stringify(s));
      assert.equal(s.lm_image, s.projector, JSON.stringify(s));
      assert.equal((s.lm_image as number) + (s.lm_text as number), s.real_rows, JSON.stringify(s));
    }
    // The experts table counts each component × modality's own token-slots: K per token.
    const slots = (await query(`SELECT e.step, e.layer, e.modality, sum(e.token_slots)::INT AS slots, any_value(l.tokens)::INT AS tokens
      FROM ${table('experts')} e JOIN ${table('layers')} l USING (step, layer, modality) GROUP BY ALL`)).rows;
    assert.equal(slots.length, 3 * 7);
    for (const s of slots) assert.equal(s.slots, 2 * (s.tokens as number), JSON.stringify(s));
    // overlap_prev compares a layer with the previous one of its kind on the same tokens.
    const overlap = (await query(`SELECT component, modality, bool_and(isnan(overlap_prev)) AS none FROM ${table('layers')} GROUP BY ALL ORDER BY component, modality`)).rows;
    assert.deepEqual(overlap.map((o) => `${o.component} ${o.modality} ${o.none}`), [
      'lm layer 0 image true', 'lm layer 0 text true', 'lm layer 1 image false', 'lm layer 1 text false', 'projector image true', 'vision layer 0 image true', 'vision layer 1 image false',
    ]);

    const rep = await runPipelineCli(['report', run]);
    assert.equal(rep.code, 0, rep.err);
    const md = await readFile(join(run, 'report', 'report.md'), 'utf8');
    assert.match(md, /## Routing per component and modality/);
    for (const row of ['vision layer 0 \\| image', 'projector \\| image', 'lm layer 1 \\| image', 'lm layer 1 \\| text']) assert.match(md, new RegExp(`^\\| ${row} \\| \\d+ \\| \\d+ \\|`, 'm'), row);
    assert.match(md, /!\[component-load\]\(component-load\.png\)/);
    assert.match(md, /!\[component-balance\]\(component-balance\.png\)/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

// The cpu backend is ~10× slower than wasm on this model: it runs half the steps.
for (const [backend, steps] of [['wasm', 8], ['cpu', 4]] as const) test(`a VLM run killed with SIGKILL after a checkpoint resumes bitwise (${backend})`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-vlm-resume-'));
  const args = (out: string) => ['run', 'pipelines/vlm-stage1.yaml', '--out', join(dir, out), '--backend', backend,
    '--set', `trainer.steps=${steps}`, '--set', 'trainer.warmupSteps=1', '--set', 'trainer.checkpointEvery=2', '--set', 'trainer.trainable=["*"]'];
  try {
    const whole = await runPipelineCli(args('a'));
    assert.equal(whole.code, 0, whole.err);
    const killed = spawnPipeline(args('b'));
    let runB: string | undefined;
    for (let i = 0; i < 6000; i++) {
      if (existsSync(join(dir, 'b'))) {
        runB ??= await runOf(join(dir, 'b'), 'vlm-stage1').catch(() => undefined);
        if (runB && existsSync(join(runB, 'checkpoints/step-2'))) { killed.child.kill('SIGKILL'); break; }
      }
      if (killed.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const exit = await killed.done;
    assert.equal(exit.signal, 'SIGKILL', `killed mid-run: ${exit.err}`);
    assert.ok(runB && !existsSync(join(runB, `checkpoints/step-${steps}`)));
    const resumed = await runPipelineCli(['run', '--resume', runB!]);
    assert.equal(resumed.code, 0, resumed.err);
    const rows = async (run: string) => (await query(`SELECT step, loss, lr, grad_norm FROM read_parquet('${join(run, 'metrics')}-*.parquet') ORDER BY step`)).rows;
    const a = await rows(await runOf(join(dir, 'a'), 'vlm-stage1'));
    assert.equal(a.length, steps);
    assert.deepEqual(await rows(runB!), a, 'bitwise the same losses, lr and gradient norms per step');
    const wa = await readFile(join(await runOf(join(dir, 'a'), 'vlm-stage1'), `checkpoints/step-${steps}/model.safetensors`));
    const wb = await readFile(join(runB!, `checkpoints/step-${steps}/model.safetensors`));
    assert.ok(wa.equals(wb), 'the same final weights');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a wrong key or value in model.vlm is an error naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-vlm-keys-'));
  try {
    const yaml = (await readFile('pipelines/vlm-stage1.yaml', 'utf8')).replace('projector: { kind: mlp2x_gelu }', 'projector: { kind: mlp2x_gelu, experts: 4 }');
    await writeFile(join(dir, 'p.yaml'), yaml);
    const r = await runPipelineCli(['run', join(dir, 'p.yaml'), '--dry-run']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /model\.vlm\.projector\.experts/);
    const bad = await runPipelineCli(['run', 'pipelines/vlm-stage1.yaml', '--dry-run', '--set', 'model.vlm.tower.arch=vit']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /model\.vlm\.tower\.arch/);
    const up = await runPipelineCli(['run', 'pipelines/vlm-stage3.yaml', '--dry-run', '--set', 'model.vlm.init.upcycle.topK=5']);
    assert.match(up.err, /model\.vlm\.init\.upcycle\.topK/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
