/**
 * `pipeline report` shows the zero-shot evaluation: a table of LibMoE accuracy per task and
 * checkpoint, the last checkpoint's harness metrics and chance level, and eval-accuracy.png.
 * The eval tables are written here through the real writer from hand-made item results, so
 * every number the report prints is known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeReport } from '../../src/cli/report/write-report.js';
import type { ChoiceResult } from '../../src/eval/scoring/results.js';
import { taskMetrics } from '../../src/eval/scoring/task-metrics.js';
import { evalItemRows } from '../../src/sinks/tables/eval-items.js';
import { evalResultRows, type EvalRunKey } from '../../src/sinks/tables/eval-results.js';
import { EvalTables } from '../../src/sinks/tables/eval-tables.js';
import { makeSyntheticRun } from './make-synthetic-run.js';

/** An item with `options` options whose LibMoE verdict is `correct` (gold 0, scores chosen so). */
function item(id: string, options: number, correct: boolean): ChoiceResult {
  const scores = Array.from({ length: options }, (_, i) => (i === 0 ? (correct ? -1 : -3) : -2));
  return {
    kind: 'choice', id, group: 'all', gold: 0, scores, logliks: scores, tokens: scores.map(() => 1), chars: scores.map(() => 1),
    prediction: correct ? 0 : 1, correct, acc: correct, accNorm: correct, truncated: false,
  };
}

async function writeTask(tables: EvalTables, runId: string, step: number, task: string, items: ChoiceResult[]): Promise<void> {
  const key: EvalRunKey = { runId, step, task, itemLimit: 0 };
  await tables.write(key, { items: evalItemRows(key, items), results: evalResultRows(key, taskMetrics(items)) });
}

test('report.md has the evaluation table per task and checkpoint, and eval-accuracy.png is drawn', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-report-eval-'));
  const made = await makeSyntheticRun(runs, { steps: 20, shape: { layers: 2, experts: 4, topK: 2, batchSize: 2, seqLen: 8 } });
  assert.equal(made.code, 0, made.stderr);
  const [id] = await readdir(runs);
  const dir = join(runs, id!);
  const tables = await EvalTables.open(dir);
  // piqa: 2 options (chance 50%), 1 of 4 right at step 10, 3 of 4 at step 20; arc_easy: 4 options, 1 of 2 then 2 of 2.
  await writeTask(tables, id!, 10, 'piqa', [item('p0', 2, true), item('p1', 2, false), item('p2', 2, false), item('p3', 2, false)]);
  await writeTask(tables, id!, 10, 'arc_easy', [item('a0', 4, true), item('a1', 4, false)]);
  await writeTask(tables, id!, 20, 'piqa', [item('p0', 2, true), item('p1', 2, true), item('p2', 2, true), item('p3', 2, false)]);
  await writeTask(tables, id!, 20, 'arc_easy', [item('a0', 4, true), item('a1', 4, true)]);

  const r = await writeReport(dir);
  assert.ok(r.files.includes('eval-accuracy.png'), r.files.join(', '));
  const meta = await sharp(join(dir, 'report', 'eval-accuracy.png')).metadata();
  assert.ok(meta.format === 'png' && meta.width! > 400 && meta.height! > 300, `${meta.width}×${meta.height}`);
  const md = await readFile(join(dir, 'report', 'report.md'), 'utf8');
  assert.match(md, /## Zero-shot evaluation/);
  // Tasks in LibMoE's table order (piqa before arc_easy), checkpoints as columns.
  assert.match(md, /\| task \| step 10 \| step 20 \|\n\|---\|---\|---\|\n\| piqa \| 25\.0 \| 75\.0 \|\n\| arc_easy \| 50\.0 \| 100\.0 \|\n\| \*\*mean\*\* \| \*\*37\.5\*\* \| \*\*87\.5\*\* \|/);
  assert.match(md, /\| piqa \| 75\.0 \| 75\.0 \| 75\.0 \| 50\.0 \| – \| 4 \|/);
  assert.match(md, /\| arc_easy \| 100\.0 \| 100\.0 \| 100\.0 \| 25\.0 \| – \| 2 \|/);
  assert.match(md, /!\[eval-accuracy\]\(eval-accuracy\.png\)/);
});

test('a run without eval tables gets no evaluation section', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'moeflow-report-eval-'));
  const made = await makeSyntheticRun(runs, { steps: 6, shape: { layers: 1, experts: 4, topK: 2, batchSize: 2, seqLen: 8 } });
  assert.equal(made.code, 0, made.stderr);
  const [id] = await readdir(runs);
  const r = await writeReport(join(runs, id!));
  assert.ok(!r.files.includes('eval-accuracy.png'));
  assert.doesNotMatch(await readFile(join(runs, id!, 'report', 'report.md'), 'utf8'), /Zero-shot evaluation/);
});
