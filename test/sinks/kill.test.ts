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
