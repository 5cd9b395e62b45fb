import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { onlyRun, runPipelineCli, tinyPipeline } from './tiny-run.js';

test('data.weights draws only the weighted domains, a tokenizer.json path is used as given, accumulate splits the step', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-opts-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 3, checkpointEvery: 0 }));
    // A tokenizer from an earlier run, passed by path.
    const first = await runPipelineCli(['run', cfg, '--set', 'trainer.steps=1', '--set', 'trainer.warmupSteps=0', '--out', join(dir, 'first')]);
    assert.equal(first.code, 0, first.err);
    const tokPath = join(dir, 'tok.json');
    copyFileSync(join(await onlyRun(join(dir, 'first')), 'tokenizer.json'), tokPath);

    const r = await runPipelineCli(['run', cfg, '--out', join(dir, 'o'),
      '--set', 'data.weights={RedPajamaC4: 2, RedPajamaGithub: 1, RedPajamaBook: 0}',
      '--set', `data.tokenizer={path: ${tokPath}}`, '--set', 'trainer.accumulate=2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`tokenizer 384 ids \\(${tokPath}`));
    const run = await onlyRun(join(dir, 'o'));
    const d = await query(`SELECT DISTINCT domain FROM read_parquet('${join(run, 'routing/domains')}-*.parquet') ORDER BY 1`);
    assert.deepEqual(d.rows.map((x) => x.domain), ['RedPajamaC4', 'RedPajamaGithub']);
    const m = await query(`SELECT min(tokens)::INT t FROM read_parquet('${join(run, 'metrics')}-*.parquet')`);
    assert.equal(m.rows[0]!.t, 2 * 4 * 32, 'accumulate 2 × batchSize 4 × seqLen 32 tokens per step');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('model.dense: true trains the dense baseline: metrics and eval, no routing tables', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-dense-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0, evalEvery: 2 }));
    const r = await runPipelineCli(['run', cfg, '--set', 'model.dense=true', '--out', join(dir, 'o')]);
    assert.equal(r.code, 0, r.err);
    const run = await onlyRun(join(dir, 'o'));
    const m = await query(`SELECT count(*)::INT n FROM read_parquet('${join(run, 'metrics')}-*.parquet')`);
    assert.equal(m.rows[0]!.n, 2);
    assert.ok(existsSync(join(run, 'eval-00000.parquet')));
    assert.ok(!existsSync(join(run, 'routing/experts-00000.parquet')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a router option of the wrong value is refused at load: exit 2 naming the option, no run directory left', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-badoption-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0 }));
    const r = await runPipelineCli(['run', cfg, '--set', 'model.moe.algorithm=moe_layer', '--set', 'model.moe.options={selection_mode: softplus}', '--out', join(dir, 'o')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /model\.moe\.options: moe_layer: option selection_mode must be one of gate, sigmoid, got "softplus"/);
    assert.equal(existsSync(join(dir, 'o')) && (await readdir(join(dir, 'o'))).length > 0, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a model that cannot be built (a vocabulary smaller than the tokenizer\'s) fails with exit 1 naming the problem, and the process exits', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-badmodel-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0 }));
    const r = await runPipelineCli(['run', cfg, '--set', 'model.vocab=100', '--out', join(dir, 'o')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /model: cannot build the model from this pipeline: model\.vocab: 100 is smaller than the tokenizer's 384 ids/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a weighted domain without documents fails naming the domain', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-nodomain-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0 }));
    const r = await runPipelineCli(['run', cfg, '--set', 'data.weights={Nope: 1, RedPajamaC4: 1}', '--out', join(dir, 'o')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /data\.weights: domain "Nope" has no training documents/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
