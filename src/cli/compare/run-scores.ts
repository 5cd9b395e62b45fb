/**
 * What `pipeline compare` reads from one run directory (DuckDB over its Parquet tables): the
 * evaluated checkpoint's LibMoE accuracies, the validation perplexity and end-of-training routing.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readRunConfig } from '../shared/run-dir.js';
import type { RunScores } from './paper-table.js';

export interface RunEvalShape {
  /** The tasks, the item limit and the checkpoint step the run was scored on. */
  readonly tasks: readonly string[];
  readonly itemLimit: number;
  readonly step: number;
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

const glob = (dir: string, stem: string): string => `'${join(dir, `${stem}-*.parquet`).replaceAll("'", "''")}'`;

async function optional(sql: string): Promise<Record<string, unknown>[]> {
  try {
    return await rows(sql);
  } catch (e) {
    if (/No files found|does not exist/i.test((e as Error).message)) return [];
    throw e;
  }
}

export async function readRunScores(runDir: string): Promise<RunScores & RunEvalShape> {
  const saved = await readRunConfig(runDir);
  const runId = saved.run?.id ?? runDir.split('/').filter(Boolean).pop()!;
  const model = (saved.pipeline['model'] ?? {}) as { moe?: { algorithm?: string; options?: Record<string, unknown> }; dense?: boolean };
  const moe = model.dense ? undefined : model.moe;
  const mode = moe?.options?.['selection_mode'];
  const router = moe?.algorithm ? `${moe.algorithm}${typeof mode === 'string' ? ` (${mode})` : ''}` : 'dense';
  const results = await optional(`SELECT step, task, item_limit, "group", value FROM read_parquet(${glob(join(runDir, 'eval'), 'results')})
    WHERE protocol = 'libmoe' AND metric = 'accuracy' AND "group" IN ('group_average', 'total')`);
  if (results.length === 0) throw new Error(`${runDir}: no evaluation results (eval/results-*.parquet); run pipeline eval on it first`);
  const step = Math.max(...results.map((r) => Number(r['step'])));
  const atStep = results.filter((r) => Number(r['step']) === step);
  const limits = [...new Set(atStep.map((r) => Number(r['item_limit'])))];
  if (limits.length > 1) throw new Error(`${runDir}: step ${step} was evaluated with several --limit values (${limits.join(', ')}); keep one`);
  const accuracy: Record<string, number> = {};
  for (const r of atStep) accuracy[String(r['task'])] = Number(r['value']);
  const val = await optional(`SELECT perplexity FROM read_parquet(${glob(runDir, 'eval')}) ORDER BY step DESC LIMIT 1`);
  const routing = await optional(`SELECT avg(entropy_full) AS entropy, avg(maxvio) AS maxvio, sum(dead_experts) AS dead
    FROM read_parquet(${glob(join(runDir, 'routing'), 'layers')}, union_by_name = true)
    WHERE step = (SELECT max(step) FROM read_parquet(${glob(join(runDir, 'routing'), 'layers')}, union_by_name = true))`);
  const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
  return {
    runId, router, step, itemLimit: limits[0]!, tasks: Object.keys(accuracy).sort(), accuracy,
    ppl: num(val[0]?.['perplexity']),
    entropy: num(routing[0]?.['entropy']), maxvio: num(routing[0]?.['maxvio']), deadExperts: num(routing[0]?.['dead']),
  };
}

/** The runs must have been scored alike; otherwise an error naming the first difference. */
export function checkComparable(runs: readonly (RunEvalShape & { readonly runId: string })[]): void {
  const [first, ...rest] = runs;
  if (!first) return;
  for (const r of rest) {
    if (r.tasks.join(',') !== first.tasks.join(',')) throw new Error(`runs were scored on different task sets: ${first.runId} has ${first.tasks.join(', ')}; ${r.runId} has ${r.tasks.join(', ')}`);
    if (r.itemLimit !== first.itemLimit) throw new Error(`runs were scored with different --limit: ${first.runId} ${first.itemLimit || 'all'}, ${r.runId} ${r.itemLimit || 'all'}`);
    if (r.step !== first.step) throw new Error(`runs were scored at different checkpoints: ${first.runId} at step ${first.step}, ${r.runId} at step ${r.step}`);
  }
}
