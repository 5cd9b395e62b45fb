import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { RunStatsSink } from '../../src/sinks/run-stats-sink.js';
import { readArrowStreamPrefix } from '../../src/sinks/read-part.js';
import { query } from './duckdb.js';

test('a writer killed with SIGKILL leaves only complete, readable parts; reopening cleans its temp files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-kill-'));
  const child = spawn(process.execPath, [join(process.cwd(), 'dist/test/sinks/crash-writer.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  // Let it write a few dozen parts, then kill it wherever it is (often inside a write).
  for (;;) {
    const n = (await readdir(join(dir, 'routing'))).filter((f) => f.startsWith('experts-')).length;
    if (n >= 30) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  const names = await readdir(join(dir, 'routing'));
  const parts = names.filter((f) => f.endsWith('.parquet'));
  for (const f of parts) {
    const q = await query(`SELECT count(*)::INT n FROM read_parquet('${join(dir, 'routing', f)}')`);
    assert.ok((q.rows[0]!.n as number) > 0, `${f} is complete`);
  }
  const { table } = await readArrowStreamPrefix(join(dir, 'routing/experts.arrows'));
  assert.ok(table && table.numRows > 0, 'the live Arrow stream is readable up to its last complete batch');

  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 64, everySeconds: 0 }, tokenSampleRate: 0, seed: 3, arrowStream: true });
  await sink.close();
  const after = await readdir(join(dir, 'routing'));
  assert.ok(!after.some((f) => f.endsWith('.tmp')), 'temp files removed on reopen');
  tableFromIPC(await readFile(join(dir, 'routing/experts.arrows'))); // a clean stream again
});

test('after a kill, every table ends at the same step and holds all of that step\'s rows', async () => {
  // Shape of crash-writer's steps: 4 layers × 16 experts, top-2, 4 × 32 tokens.
  const L = 4, E = 16, K = 2, T = 4 * 32;
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-kill-steps-'));
  // 100 rows is 1.56 steps of routing/experts and 25 of routing/layers: a per-table flush would end parts mid-step.
  const child = spawn(process.execPath, [join(process.cwd(), 'dist/test/sinks/crash-writer.js'), dir, '100'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  for (;;) {
    const n = (await readdir(join(dir, 'routing'))).filter((f) => /^experts-\d+\.parquet$/.test(f)).length;
    if (n >= 12) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 100, everySeconds: 0 }, tokenSampleRate: 0, seed: 3, arrowStream: true });
  await sink.close();

  const last = async (table: string, agg: string): Promise<{ step: number; n: number }> => {
    const q = await query(`SELECT step, ${agg}::INT n FROM read_parquet('${join(dir, table)}-*.parquet') GROUP BY step ORDER BY step DESC LIMIT 1`);
    return q.rows[0] as { step: number; n: number };
  };
  const metrics = await last('metrics', 'count(*)');
  assert.ok(metrics.step > 1, `metrics reached step ${metrics.step}`);
  assert.deepEqual(await last('metrics', 'count(*)'), { step: metrics.step, n: 1 });
  assert.deepEqual(await last('routing/experts', 'count(*)'), { step: metrics.step, n: L * E }, 'routing/experts: every layer and expert of the last step');
  assert.deepEqual(await last('routing/layers', 'count(*)'), { step: metrics.step, n: L }, 'routing/layers: every layer of the last step');
  assert.deepEqual(await last('routing/domains', 'sum(token_slots)'), { step: metrics.step, n: L * T * K }, 'routing/domains: every token-slot of the last step');
  assert.deepEqual(await last('routing/tokens', 'count(DISTINCT layer)'), { step: metrics.step, n: L }, 'routing/tokens: every layer of the last step');
});
