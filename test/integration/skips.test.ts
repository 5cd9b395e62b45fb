import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../sinks/duckdb.js';
import { FIXTURES, onlyRun, runPipelineCli, spawnPipeline, tinyPipeline } from './tiny-run.js';

const STEPS = 30;

/** Short good SlimPajama lines with broken ones among them, from the first line on: per 20 lines 2 invalid_json, 1 missing_text, 1 invalid_utf8. */
function brokenShard(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 240; i++) {
    const k = i % 20;
    if (k === 0 || k === 9) parts.push(Buffer.from('{"text": "cut off\n'));
    else if (k === 3) parts.push(Buffer.from('{"meta": {"redpajama_set_name": "RedPajamaC4"}}\n'));
    else if (k === 14) parts.push(Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]));
    else parts.push(Buffer.from(JSON.stringify({ text: `document ${i}: ${'the quick brown fox '.repeat(1 + (i % 3))}`, meta: { redpajama_set_name: 'RedPajamaBroken' } }) + '\n'));
  }
  return Buffer.concat(parts);
}

async function skipsOf(run: string): Promise<Record<string, unknown>[]> {
  return (await query(`SELECT file, reason, sum(count)::INT AS n FROM read_parquet('${join(run, 'data')}-*.parquet') GROUP BY ALL ORDER BY ALL`)).rows;
}

function dataLine(err: string): { read: number; used: number; skipped: number; line: string } {
  const m = /^data: read (\d+) = used (\d+) \+ skipped (\d+) records$/m.exec(err);
  assert.ok(m, `no data line in:\n${err}`);
  return { read: Number(m[1]), used: Number(m[2]), skipped: Number(m[3]), line: m[0] };
}

test('with data.onError: skip, skipped records are counted per file and reason in the summary and the data table, and survive a SIGKILL + resume', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-skips-'));
  try {
    // The shards live in one folder so their read order (files sort by path) does not depend on
    // where the checkout and the temp folder are: the broken shard is read first, before step 5.
    const shards = join(dir, 'shards');
    await mkdir(shards);
    const broken = join(shards, '0-broken.jsonl');
    await writeFile(broken, brokenShard());
    for (const f of (await readdir(FIXTURES)).filter((n) => n.endsWith('.jsonl.zst'))) await copyFile(join(FIXTURES, f), join(shards, f));
    const cfg = join(dir, 'tiny.yaml');
    await writeFile(cfg, tinyPipeline({ steps: STEPS, checkpointEvery: 5 }));
    const sets = ['--set', `data.files=[${shards}/*.jsonl.zst,${broken}]`, '--set', 'data.onError=skip'];

    const whole = await runPipelineCli(['run', cfg, '--out', join(dir, 'a'), ...sets]);
    assert.equal(whole.code, 0, whole.err);
    const runA = await onlyRun(join(dir, 'a'));
    const a = dataLine(whole.err);
    assert.ok(a.skipped > 0, 'the broken lines were reached');
    assert.equal(a.read, a.used + a.skipped, 'read = used + skipped');
    assert.match(whole.err, /skipped \d+ × invalid_json in .*broken\.jsonl/);
    const skipsA = await skipsOf(runA);
    assert.ok(skipsA.every((r) => r.file === broken));
    assert.equal(skipsA.reduce((n, r) => n + (r.n as number), 0), a.skipped, 'the data table holds every skip the summary reports');

    // The same run killed after its first checkpoint, then resumed: the counts continue from the checkpoint.
    const killed = spawnPipeline(['run', cfg, '--out', join(dir, 'b'), ...sets]);
    let runB: string | undefined;
    for (let i = 0; i < 6000; i++) {
      if (existsSync(join(dir, 'b'))) {
        runB ??= await onlyRun(join(dir, 'b')).catch(() => undefined);
        if (runB && existsSync(join(runB, 'checkpoints/step-5'))) { killed.child.kill('SIGKILL'); break; }
      }
      if (killed.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const exit = await killed.done;
    assert.equal(exit.signal, 'SIGKILL', `the run should have been killed mid-run: ${exit.err}`);
    const resumed = await runPipelineCli(['run', '--resume', runB!]);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(dataLine(resumed.err).line, a.line, 'the resumed run reports the counts of the uninterrupted one');
    assert.deepEqual(await skipsOf(runB!), skipsA);
    const perStep = async (run: string) => (await query(`SELECT step, file, reason, count FROM read_parquet('${join(run, 'data')}-*.parquet') ORDER BY ALL`)).rows;
    const rowsA = await perStep(runA);
    assert.ok(rowsA.some((r) => (r.step as number) <= 5) && rowsA.some((r) => (r.step as number) > 5), 'skips on both sides of the checkpoint the kill resumes from');
    assert.deepEqual(await perStep(runB!), rowsA, 'each skip is reported at the same step, once');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
