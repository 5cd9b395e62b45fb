import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { EventPlane } from '../../src/events/event-plane.js';
import { RunStatsSink, type RunStatsSinkOptions } from '../../src/sinks/run-stats-sink.js';
import { fakeStepEvent, type FakeShape } from './fake-steps.js';
import { query } from './duckdb.js';

const shape: FakeShape = { layers: 2, experts: 4, topK: 2, batchSize: 3, seqLen: 8, bias: true };
const T = shape.batchSize * shape.seqLen;

async function runDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'moeflow-sink-'));
}

async function writeSteps(dir: string, from: number, to: number, opts: Partial<RunStatsSinkOptions> = {}): Promise<RunStatsSink> {
  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 20, everySeconds: 0 }, tokenSampleRate: 0.25, seed: 1, arrowStream: false, ...opts });
  const plane = new EventPlane();
  plane.attach(sink);
  for (let s = from; s <= to; s++) await plane.emit(fakeStepEvent('run-a', s, to, shape));
  await plane.emit({ kind: 'eval', runId: 'run-a', step: to, result: { loss: 3, perplexity: Math.exp(3), accuracy: 0.2, tokens: 100 }, time: 0 });
  await plane.close();
  return sink;
}

test('every table is written as rolling ZSTD Parquet parts that DuckDB reads with the documented types', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 10);
  const routing = (await readdir(join(dir, 'routing'))).sort();
  assert.ok(routing.includes('experts-00000.parquet') && routing.includes('experts-00001.parquet'), `rolling parts: ${routing.join(' ')}`);
  assert.ok(!routing.some((n) => n.endsWith('.tmp')), 'no temp file left after a clean close');

  const ex = await query(`SELECT * FROM read_parquet('${dir}/routing/experts-*.parquet')`);
  assert.equal(ex.rows.length, 10 * shape.layers * shape.experts);
  assert.deepEqual(ex.types, { run_id: 'VARCHAR', step: 'INTEGER', layer: 'SMALLINT', component: 'VARCHAR', modality: 'VARCHAR', expert: 'SMALLINT', token_slots: 'INTEGER', top1_count: 'INTEGER', prob_mass: 'FLOAT', gate_mass: 'FLOAT', bias: 'FLOAT' });
  const slots = await query(`SELECT step, layer, sum(token_slots)::INT s, sum(top1_count)::INT t1 FROM read_parquet('${dir}/routing/experts-*.parquet') GROUP BY ALL`);
  for (const r of slots.rows) { assert.equal(r.s, T * shape.topK); assert.equal(r.t1, T); }

  // A language model's MoE layers: component "lm layer i" (its block), every token a text token, in every routing table.
  for (const t of ['experts', 'layers', 'domains', 'tokens']) {
    const parts = await query(`SELECT DISTINCT layer, component, modality FROM read_parquet('${dir}/routing/${t}-*.parquet') ORDER BY layer`);
    assert.deepEqual(parts.rows, Array.from({ length: shape.layers }, (_, l) => ({ layer: l, component: `lm layer ${l}`, modality: 'text' })), t);
  }

  const ly = await query(`SELECT * FROM read_parquet('${dir}/routing/layers-*.parquet') ORDER BY step, layer`);
  assert.equal(ly.rows.length, 10 * shape.layers);
  assert.equal(ly.types.aux_balance_loss, 'DOUBLE');
  assert.equal(ly.types.aux_router_z_loss, 'DOUBLE');
  assert.equal(ly.types.dead_experts, 'SMALLINT');
  assert.ok(Number.isNaN(ly.rows[0]!.overlap_prev as number), 'first MoE layer has no previous layer');
  assert.ok((ly.rows[1]!.overlap_prev as number) >= 0);

  const dm = await query(`SELECT domain, sum(token_slots)::INT s FROM read_parquet('${dir}/routing/domains-*.parquet') GROUP BY domain ORDER BY domain`);
  assert.equal(dm.rows.reduce((a, r) => a + (r.s as number), 0), 10 * shape.layers * T * shape.topK, 'domain table accounts for every token-slot');
  assert.deepEqual(dm.rows.map((r) => r.domain), ['RedPajamaC4', 'RedPajamaGithub', 'RedPajamaWikipedia']);

  const tk = await query(`SELECT * FROM read_parquet('${dir}/routing/tokens-*.parquet')`);
  assert.equal(tk.types.experts, 'SMALLINT[]');
  assert.equal(tk.types.weights, 'FLOAT[]');
  assert.ok(tk.rows.length > 0 && tk.rows.length < 10 * shape.layers * T, `sampled ${tk.rows.length} token rows`);
  assert.equal((tk.rows[0]!.experts as number[]).length, shape.topK);

  const mt = await query(`SELECT * FROM read_parquet('${dir}/metrics-*.parquet') ORDER BY step`);
  assert.deepEqual(mt.rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok('aux_balance_loss' in mt.types && 'tokens_per_s' in mt.types && 'ms_data' in mt.types);
  const ev = await query(`SELECT * FROM read_parquet('${dir}/eval-*.parquet')`);
  assert.equal(ev.rows.length, 1);

  const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${dir}/routing/experts-00000.parquet')`);
  assert.deepEqual(codecs.rows.map((r) => r.compression), ['ZSTD']);
});

test('each flush becomes exactly one part with one row group', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 3, { flush: { everyRows: 8, everySeconds: 0 } }); // experts: 8 rows per step → one part per step
  const parts = (await readdir(join(dir, 'routing'))).filter((n) => /^experts-\d+\.parquet$/.test(n));
  assert.equal(parts.length, 3);
  const rg = await query(`SELECT file_name, count(DISTINCT row_group_id)::INT g, max(row_group_num_rows)::INT n FROM parquet_metadata('${dir}/routing/experts-*.parquet') GROUP BY file_name`);
  for (const r of rg.rows) { assert.equal(r.g, 1); assert.equal(r.n, 8); }
});

test('a time-based flush policy writes a part once the interval has passed', async () => {
  const dir = await runDir();
  let clock = 0;
  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 1e9, everySeconds: 30 }, tokenSampleRate: 0, seed: 1, arrowStream: false, now: () => clock });
  const plane = new EventPlane();
  plane.attach(sink);
  await plane.emit(fakeStepEvent('r', 1, 3, shape));
  assert.deepEqual(await readdir(join(dir, 'routing')), [], 'nothing written before the interval');
  clock = 31_000;
  await plane.emit(fakeStepEvent('r', 2, 3, shape));
  const parts = (await readdir(join(dir, 'routing'))).filter((n) => n.startsWith('experts-'));
  assert.deepEqual(parts, ['experts-00000.parquet']);
  await plane.close();
});

test('a time-based flush never ends a part inside a step: the steps on disk are complete in every table', async () => {
  const dir = await runDir();
  // The clock advances 1 s per reading, so the 5 s interval runs out while a step's rows are being appended.
  let clock = 0;
  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 1e9, everySeconds: 5 }, tokenSampleRate: 1, seed: 1, arrowStream: false, now: () => (clock += 1000) });
  const plane = new EventPlane();
  plane.attach(sink);
  for (let s = 1; s <= 6; s++) await plane.emit(fakeStepEvent('r', s, 6, shape));
  // Not closed: this is what a reader of the live run (or a kill now) finds.
  const perStep = async (table: string, agg: string): Promise<[number, number][]> =>
    (await query(`SELECT step, ${agg}::INT n FROM read_parquet('${dir}/${table}-*.parquet') GROUP BY step ORDER BY step`)).rows.map((r) => [r.step as number, r.n as number]);
  const metrics = await perStep('metrics', 'count(*)');
  assert.ok(metrics.length > 0, 'the interval passed, so some steps are on disk');
  const steps = metrics.map(([s]) => s);
  assert.deepEqual(await perStep('routing/experts', 'count(*)'), steps.map((s) => [s, shape.layers * shape.experts]));
  assert.deepEqual(await perStep('routing/layers', 'count(*)'), steps.map((s) => [s, shape.layers]));
  assert.deepEqual(await perStep('routing/domains', 'sum(token_slots)'), steps.map((s) => [s, shape.layers * T * shape.topK]));
  assert.deepEqual(await perStep('routing/tokens', 'count(*)'), steps.map((s) => [s, shape.layers * T]));
  await plane.close();
});

test('parts killed after their group\'s commit point are completed on reopen, never left half-visible', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 2, { flush: { everyRows: 8, everySeconds: 0 } });
  // What a kill between two renames leaves: the manifest, one part renamed, the others still temp files.
  const { rename, writeFile: write } = await import('node:fs/promises');
  const { COMMIT_MANIFEST } = await import('../../src/sinks/part-group-commit.js');
  const group = ['metrics-00002.parquet', 'routing/experts-00002.parquet', 'routing/layers-00002.parquet'];
  for (const [i, p] of group.entries()) await rename(join(dir, p.replace('00002', '00001')), join(dir, p + (i === 0 ? '' : '.tmp')));
  await write(join(dir, COMMIT_MANIFEST), JSON.stringify({ parts: group }));
  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 8, everySeconds: 0 }, tokenSampleRate: 0, seed: 1, arrowStream: false });
  await sink.close();
  const names = await readdir(join(dir, 'routing'));
  assert.ok(names.includes('experts-00002.parquet') && names.includes('layers-00002.parquet'), `rolled forward: ${names.join(' ')}`);
  assert.ok(!(await readdir(dir)).includes(COMMIT_MANIFEST), 'manifest removed once the group is in place');
});

test('the Arrow IPC stream option appends every flush to one .arrows file that apache-arrow reads', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 6, { arrowStream: true });
  const t = tableFromIPC(await readFile(join(dir, 'routing/experts.arrows')));
  assert.equal(t.numRows, 6 * shape.layers * shape.experts);
  assert.equal(t.getChild('run_id')!.get(0), 'run-a');
  assert.deepEqual([...new Set(t.getChild('step')!.toArray())], [1, 2, 3, 4, 5, 6]);
  const tk = tableFromIPC(await readFile(join(dir, 'routing/tokens.arrows')));
  assert.equal(tk.getChild('experts')!.get(0).length, shape.topK);
});

test('a crash between writing and renaming a part never shows a partial file under its final name', async () => {
  const dir = await runDir();
  let writes = 0;
  const sink = await RunStatsSink.open({
    runDir: dir, flush: { everyRows: 8, everySeconds: 0 }, tokenSampleRate: 0, seed: 1, arrowStream: false,
    // Steps 1 and 2 each fill a group of 4 parts (metrics, experts, layers, domains): die inside the second group.
    beforeRename: () => { if (++writes === 6) throw new Error('simulated crash'); },
  });
  const plane = new EventPlane();
  plane.attach(sink);
  await assert.rejects(async () => { for (let s = 1; s <= 5; s++) await plane.emit(fakeStepEvent('r', s, 5, shape)); }, /simulated crash/);
  const names = await readdir(join(dir, 'routing'));
  assert.ok(names.some((n) => n.endsWith('.parquet.tmp')), 'the part in progress exists only under its temp name');
  const visible = await query(`SELECT count(*)::INT n FROM read_parquet('${dir}/routing/*.parquet')`);
  assert.ok((visible.rows[0]!.n as number) > 0, 'every visible part is complete and readable');

  // Resume: temp files are removed and numbering continues after the highest part.
  const before = names.filter((n) => /^experts-\d+\.parquet$/.test(n)).sort();
  await writeSteps(dir, 6, 6, { flush: { everyRows: 8, everySeconds: 0 } });
  const after = await readdir(join(dir, 'routing'));
  assert.ok(!after.some((n) => n.endsWith('.tmp')), 'temp files cleaned on resume');
  const last = Number(/(\d+)/.exec(before[before.length - 1]!)![1]);
  assert.ok(after.includes(`experts-${String(last + 1).padStart(5, '0')}.parquet`), 'part numbering continues');
});

test('resuming from checkpoint step N removes rows after N, so the re-run steps are not duplicated', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 9, { arrowStream: true }); // the killed run got to step 9; last checkpoint at 6
  await writeSteps(dir, 7, 12, { resumeFromStep: 6, arrowStream: true });
  const ex = await query(`SELECT step, count(*)::INT n FROM read_parquet('${dir}/routing/experts-*.parquet') GROUP BY step ORDER BY step`);
  assert.deepEqual(ex.rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  for (const r of ex.rows) assert.equal(r.n, shape.layers * shape.experts, `step ${r.step} appears exactly once`);
  const mt = await query(`SELECT count(*)::INT n, count(DISTINCT step)::INT d FROM read_parquet('${dir}/metrics-*.parquet')`);
  assert.deepEqual(mt.rows[0], { n: 12, d: 12 });
  const tk = await query(`SELECT count(*)::INT n, count(DISTINCT (step, layer, token_index))::INT d FROM read_parquet('${dir}/routing/tokens-*.parquet')`);
  assert.equal(tk.rows[0]!.n, tk.rows[0]!.d);
  const stream = tableFromIPC(await readFile(join(dir, 'routing/experts.arrows')));
  assert.equal(stream.numRows, 12 * shape.layers * shape.experts, 'the Arrow stream was filtered the same way');
});

test('resume keeps the complete batches of an Arrow stream a crash truncated', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 4, { arrowStream: true });
  const path = join(dir, 'routing/experts.arrows');
  const bytes = await readFile(path);
  await writeFile(path, bytes.subarray(0, bytes.length - 40)); // cut into the last batch
  await writeSteps(dir, 5, 5, { arrowStream: true, resumeFromStep: 4 });
  const t = tableFromIPC(await readFile(path));
  const steps = [...new Set(t.getChild('step')!.toArray())];
  assert.ok(steps.includes(5) && steps.length >= 3, `steps in stream: ${steps.join(',')}`);
});

test('a step event without its batches is an error, not silently empty domain and token tables', async () => {
  const dir = await runDir();
  const sink = await RunStatsSink.open({ runDir: dir, flush: { everyRows: 20, everySeconds: 0 }, tokenSampleRate: 0.25, seed: 1, arrowStream: false });
  const plane = new EventPlane();
  plane.attach(sink);
  await assert.rejects(plane.emit({ ...fakeStepEvent('r', 1, 1, shape), batches: [] }), /sink parquet statistics: step 1: StepEvent\.batches is empty/);
});

test('resuming without the Arrow stream option still removes later steps from an existing stream', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 8, { arrowStream: true });
  await writeSteps(dir, 6, 7, { arrowStream: false, resumeFromStep: 5 });
  const t = tableFromIPC(await readFile(join(dir, 'routing/experts.arrows')));
  assert.deepEqual([...new Set(t.getChild('step')!.toArray())], [1, 2, 3, 4, 5]);
});

test('wall-clock columns are UTC timestamps that survive a resume rewrite', async () => {
  const dir = await runDir();
  await writeSteps(dir, 1, 4);
  await writeSteps(dir, 3, 4, { resumeFromStep: 2 });
  const q = await query(`SELECT step, epoch_ms(time)::DOUBLE t FROM read_parquet('${dir}/metrics-*.parquet') ORDER BY step`);
  assert.equal((await query(`SELECT time FROM read_parquet('${dir}/metrics-00000.parquet') LIMIT 1`)).types.time, 'TIMESTAMP WITH TIME ZONE');
  assert.deepEqual(q.rows.map((r) => r.t), [1, 2, 3, 4].map((s) => 1.7e12 + s * 1000));
});

test('step numbers must be 1-based and increasing, also across a resume', async () => {
  const dir = await runDir();
  const open = (resumeFromStep?: number) => RunStatsSink.open({ runDir: dir, flush: { everyRows: 20, everySeconds: 0 }, tokenSampleRate: 0, seed: 1, arrowStream: false, resumeFromStep });
  const plane = new EventPlane();
  plane.attach(await open());
  await assert.rejects(plane.emit(fakeStepEvent('r', 0, 5, shape)), /step 0 after step 0: step numbers must increase and are 1-based/);
  const resumed = new EventPlane();
  resumed.attach(await open(4));
  await assert.rejects(resumed.emit(fakeStepEvent('r', 4, 9, shape)), /step 4 after step 4/);
});
