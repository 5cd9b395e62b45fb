import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { onlyRun, parquetFiles, runPipelineCli } from './tiny-run.js';

const TABLES = ['metrics', 'eval', 'routing/experts', 'routing/layers', 'routing/domains', 'routing/tokens'];

/** Shrinks any shipped LM pipeline to seconds: small widths, short windows, a small tokenizer, few steps. */
const TINY = [
  'model.dModel=32', 'model.nLayers=2', 'model.nHeads=2', 'model.headDim=16', 'model.moe.expertSize=16',
  'data.seqLen=32', 'data.batchSize=4', 'data.heldOut.docs=8', 'data.tokenizer={train: {vocabSize: 384, sampleDocs: 200}}',
  'trainer.steps=2', 'trainer.warmupSteps=0', 'trainer.evalEvery=2', 'trainer.evalBatches=1', 'trainer.checkpointEvery=0', 'trainer.backend=wasm',
].flatMap((s) => ['--set', s]);

async function tableCounts(run: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const q = await query(`SELECT count(*)::INT n FROM read_parquet('${join(run, t)}-*.parquet')`);
    out[t] = q.rows[0]!.n as number;
  }
  return out;
}

test('the quickstart pipeline, shrunk to a few steps, trains end to end: every table, checkpoints, tokenizer, report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-quick-'));
  try {
    const r = await runPipelineCli(['run', 'pipelines/quickstart.yaml', '--set', 'trainer.steps=4', '--set', 'trainer.warmupSteps=1',
      '--set', 'trainer.evalEvery=2', '--set', 'trainer.checkpointEvery=2', '--set', 'trainer.evalBatches=1', '--out', dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /done: 4 steps/);
    const run = await onlyRun(dir);
    const counts = await tableCounts(run);
    assert.equal(counts.metrics, 4);
    assert.equal(counts.eval, 2);
    assert.equal(counts['routing/experts'], 4 * 4 * 8, 'steps × MoE layers × experts');
    assert.equal(counts['routing/layers'], 4 * 4);
    assert.ok(counts['routing/domains']! > 0 && counts['routing/tokens']! > 0);
    const m = await query(`SELECT min(ms_stats) >= 0 AND min(ms_sinks) >= 0 AND min(ms_data) >= 0 ok, count(DISTINCT batch_hash)::INT hashes FROM read_parquet('${join(run, 'metrics')}-*.parquet')`);
    assert.deepEqual(m.rows[0], { ok: true, hashes: 4 });
    for (const s of [2, 4]) assert.ok(existsSync(join(run, `checkpoints/step-${s}/state.json`)), `checkpoint ${s}`);
    assert.ok(existsSync(join(run, 'tokenizer.json')));
    assert.match(readFileSync(join(run, 'config.yaml'), 'utf8'), /resolved: (wasm|cpu|webgpu|tensorflow)/);

    const rep = await runPipelineCli(['report', run]);
    assert.equal(rep.code, 0, rep.err);
    for (const f of ['report.md', 'loss.png', 'expert-load.png']) assert.ok(existsSync(join(run, 'report', f)), f);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('every shipped router-family pipeline runs a couple of steps and writes readable tables', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-families-'));
  try {
    for (const name of ['lm-softmax', 'lm-sigmoid', 'lm-xmoe', 'lm-deepseekv2', 'lm-deepseek-auxfree', 'lm-tcmoe', 'lm-remoe']) {
      const out = join(dir, name);
      const r = await runPipelineCli(['run', `pipelines/${name}.yaml`, ...TINY, '--out', out]);
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      const run = await onlyRun(out);
      assert.equal((await parquetFiles(run)).length, TABLES.length, name);
      const counts = await tableCounts(run);
      assert.equal(counts.metrics, 2, name);
      assert.equal(counts.eval, 1, name);
      assert.ok(counts['routing/experts']! > 0 && counts['routing/layers']! > 0 && counts['routing/domains']! > 0, name);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a VLM router runs in the LM pipeline (--set model.moe.algorithm): token-slots per step and layer add up to tokens·K, aux losses are reported', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-vlm-'));
  try {
    // smoe: fixed K = 2 with balance + z losses; hyperrouter: training K = 1, then 2 (dynamic K over 2 steps, topk 1..3);
    // smoe_share: E = 8 and K = 2 count the always-on shared expert, so 7 routed experts and K − 1 = 1 pick.
    const cases = [
      { algorithm: 'smoe', options: '{}', ks: [2, 2], experts: 8, aux: ['aux_balance_loss', 'aux_router_z_loss'] },
      { algorithm: 'hyperrouter', options: '{topk_min: 1, topk_max: 3}', ks: [1, 2], experts: 8, aux: [] },
      { algorithm: 'smoe_share', options: '{}', ks: [1, 1], experts: 7, aux: ['aux_balance_loss'] },
    ];
    for (const c of cases) {
      const out = join(dir, c.algorithm);
      const r = await runPipelineCli(['run', 'pipelines/lm-softmax.yaml', ...TINY, '--set', `model.moe.algorithm=${c.algorithm}`, '--set', `model.moe.options=${c.options}`, '--out', out]);
      assert.equal(r.code, 0, `${c.algorithm}: ${r.err}`);
      const run = await onlyRun(out);
      assert.match(readFileSync(join(run, 'config.yaml'), 'utf8'), new RegExp(`algorithm: ${c.algorithm}`));
      const layers = await query(`SELECT step, layer, tokens, top_k, n_experts FROM read_parquet('${join(run, 'routing/layers')}-*.parquet') ORDER BY step, layer`);
      assert.equal(layers.rows.length, 2 * 2, `${c.algorithm}: steps × MoE layers`);
      for (const l of layers.rows) {
        assert.equal(l.top_k, c.ks[(l.step as number) - 1], `${c.algorithm} step ${l.step}: top_k`);
        assert.equal(l.n_experts, c.experts, `${c.algorithm}: n_experts`);
      }
      const ex = await query(`SELECT count(*)::INT n, count(token_slots)::INT valued FROM read_parquet('${join(run, 'routing/experts')}-*.parquet')`);
      assert.deepEqual(ex.rows[0], { n: 2 * 2 * c.experts, valued: 2 * 2 * c.experts }, `${c.algorithm}: one valued row per step, layer and routed expert`);
      for (const table of ['routing/experts', 'routing/domains']) {
        const q = await query(`SELECT l.step, l.layer, l.tokens * l.top_k want, sum(e.token_slots)::INT got
          FROM read_parquet('${join(run, 'routing/layers')}-*.parquet') l JOIN read_parquet('${join(run, table)}-*.parquet') e USING (step, layer)
          GROUP BY l.step, l.layer, l.tokens, l.top_k`);
        assert.equal(q.rows.length, 4, `${c.algorithm} ${table}`);
        for (const row of q.rows) assert.equal(row.got, row.want, `${c.algorithm} ${table} step ${row.step} layer ${row.layer}`);
      }
      for (const col of c.aux) {
        const q = await query(`SELECT min(${col}) m FROM read_parquet('${join(run, 'routing/layers')}-*.parquet')`);
        assert.ok((q.rows[0]!.m as number) > 0, `${c.algorithm}: ${col}`);
      }
      const m = await query(`SELECT min(aux_total) m FROM read_parquet('${join(run, 'metrics')}-*.parquet')`);
      assert.ok(Number.isFinite(m.rows[0]!.m as number), `${c.algorithm}: metrics.aux_total`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
