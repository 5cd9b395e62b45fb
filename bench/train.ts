/**
 * Whole-pipeline training throughput as JSON: the quickstart model trained by `pipeline run`'s
 * own driver (data flow, trainer, sinks), then the metrics table read back with DuckDB.
 * One run per worker count (trainer.workers, default 1 and 2), in this one process, on the same
 * batches; prints each run's tokens/s, the share of step time spent waiting for data (target
 * ≤ 2%), on routing statistics and sinks (target ≤ 3%), model-FLOP utilisation against the
 * backend's dense 2-D matMul rate measured in the same process, the last tenth of the run's
 * mean loss, and the tokens/s ratio of the last worker count to the first (target ≥ 1.8× for
 * 2 workers on 2 cores). The machine's load (1-minute load average) is recorded around each run.
 * `--hashes` adds each run's per-step `batch_hash` (bench/train-torch.ts checks them against its dump).
 * Usage: node dist/bench/train.js [steps=60] [pipeline=pipelines/quickstart.yaml] [--workers 1,2] [--hashes] [--set K=V]...
 */
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadPipeline } from '../src/config/load.js';
import { newRunDir, writeRunConfig } from '../src/cli/shared/run-dir.js';
import { runPipeline } from '../src/cli/run/run-pipeline.js';
import { trainDriver } from '../src/cli/run/driver.js';
import { runtimeVersions } from '../src/cli/shared/versions.js';
import { tf } from '../src/models/tf.js';
import { matmulRate, round } from './matmul-rate.js';
import { nativeMatMulInUse } from '../src/models/kernels/native-matmul.js';

const args = process.argv.slice(2);
const sets: string[] = [];
const pos: string[] = [];
let workerCounts = [1, 2];
let withHashes = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--set') sets.push(args[++i]!);
  else if (args[i] === '--workers') workerCounts = args[++i]!.split(',').map(Number);
  else if (args[i] === '--hashes') withHashes = true;
  else pos.push(args[i]!);
}
const steps = Number(pos[0] ?? 60);
const file = pos[1] ?? 'pipelines/quickstart.yaml';
const WARMUP = 3; // first steps include kernel compilation and the data plane's start
const cores = cpus().length;

/** Share of the machine's cores other processes left free, from the 1-minute load average (ours excluded when `own` threads ran). */
const freeShare = (load1: number, own = 0): number => round(Math.max(0, Math.min(1, (cores - Math.max(0, load1 - own)) / cores)), 2);

/** CPU ms used so far by each thread of this process (Linux /proc; empty elsewhere): the main thread's id is the pid. */
function threadCpuMs(): Map<string, number> {
  const m = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(tid, (Number(f[11]) + Number(f[12])) * 10); // utime + stime, in 10 ms ticks
    }
  } catch { /* not Linux */ }
  return m;
}

const out = await mkdtemp(join(tmpdir(), 'moeflow-bench-train-'));
try {
  const runs = [];
  let matmulGflops = NaN;
  let matmul: Record<string, unknown> = {};
  for (const workers of workerCounts) {
    const { config } = await loadPipeline(file, [`trainer.steps=${steps}`, 'trainer.evalEvery=0', 'trainer.checkpointEvery=0', `out.dir=${out}`, ...sets, `trainer.workers=${workers}`]);
    const { id, dir } = await newRunDir(out, `bench-w${workers}`);
    const record = { id, created: new Date().toISOString(), source: file, overrides: sets, seed: { data: config.data.seed, trainer: config.trainer.seed }, backend: { requested: config.trainer.backend }, versions: runtimeVersions() };
    await writeRunConfig(dir, config, record);
    const load0 = loadavg();
    const t0 = performance.now();
    // CPU per thread between the end of the warm-up steps and the last step (the threads' share of the measured steps).
    let cpu0: Map<string, number> | undefined, cpu1: Map<string, number> | undefined;
    const counted: typeof trainDriver = (ctx) => trainDriver({ ...ctx, emit: (ev) => {
      if (ev.kind === 'step' && ev.result.step === WARMUP) cpu0 = threadCpuMs();
      if (ev.kind === 'step' && ev.result.step === steps) cpu1 = threadCpuMs();
      return ctx.emit(ev);
    } });
    const summary = await runPipeline(config, { runId: id, runDir: dir, record, trainer: counted, progress: false, log: (s) => process.stderr.write(s) });
    const wallS = (performance.now() - t0) / 1000;
    const load1 = loadavg();
    const rows = config.data.batchSize * config.trainer.accumulate * config.data.seqLen;
    if (Number.isNaN(matmulGflops)) {
      const rate = async () => matmulRate(rows, config.model.dModel, 4 * config.model.dModel, 5);
      const [r1, r2] = [await rate(), await rate()];
      matmulGflops = (r1.gflops + r2.gflops) / 2;
      matmul = { shape: [r1.m, r1.k, r1.n], gflops: round(matmulGflops, 2), samples: [r1.gflops, r2.gflops] };
    }
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const metrics = `read_parquet('${join(dir, 'metrics')}-*.parquet')`;
    const q = await con.runAndReadAll(`SELECT count(*)::INT steps, sum(tokens)::DOUBLE tokens, sum(flops)::DOUBLE flops,
        sum(ms_data)::DOUBLE ms_data, sum(ms_compute)::DOUBLE ms_compute, sum(ms_stats)::DOUBLE ms_stats, sum(ms_sinks)::DOUBLE ms_sinks,
        median(ms_data + ms_compute + ms_stats + ms_sinks)::DOUBLE median_step_ms, max(ms_data)::DOUBLE max_data
      FROM ${metrics} WHERE step > ${WARMUP}`);
    const m = q.getRowObjectsJS()[0] as Record<string, number>;
    const tenth = Math.max(1, Math.floor(steps / 10));
    const lq = await con.runAndReadAll(`SELECT avg(loss)::DOUBLE loss FROM ${metrics} WHERE step > ${steps - tenth}`);
    const lastTenthLoss = (lq.getRowObjectsJS()[0] as Record<string, number>).loss!;
    const batchHashes = withHashes ? (await con.runAndReadAll(`SELECT batch_hash::VARCHAR AS h FROM ${metrics} ORDER BY step`)).getRowObjectsJS().map((r) => String(r.h)) : undefined;
    con.closeSync();
    db.closeSync();
    const wallMs = m.ms_data! + m.ms_compute! + m.ms_stats! + m.ms_sinks!;
    // Per measured step: the main thread's CPU (it computes rank 0's micro-batch and everything serial), the busiest
    // other thread's, and all threads'. On otherwise idle cores a step takes at least max(main, total / cores): the
    // projection below, from CPU accounting, is what this run's work would give without the other processes.
    const cpu = cpu0 && cpu1 ? (() => {
      const d = [...cpu1!].map(([tid, ms]) => [tid, ms - (cpu0!.get(tid) ?? 0)] as const);
      const per = (ms: number): number => round(ms / m.steps!, 1);
      const main = d.find(([tid]) => tid === String(process.pid))?.[1] ?? 0;
      const total = d.reduce((a, [, ms]) => a + ms, 0);
      const busiestOther = Math.max(0, ...d.filter(([tid]) => tid !== String(process.pid)).map(([, ms]) => ms));
      const floorMs = Math.max(main, total / cores) / m.steps!;
      return { mainThreadMsPerStep: per(main), busiestOtherThreadMsPerStep: per(busiestOther), allThreadsMsPerStep: per(total), projectedIdleStepMs: round(floorMs, 1), projectedIdleTokensPerS: round((rows * 1000) / floorMs, 0) };
    })() : undefined;
    const dataShare = m.ms_data! / wallMs;
    const statsSinksShare = (m.ms_stats! + m.ms_sinks!) / wallMs;
    runs.push({
      workers,
      // Every rank multiplies with the main thread's library (trainer.matmul).
      matmul: nativeMatMulInUse() !== undefined ? 'onnxruntime' : 'xnnpack',
      stepsMeasured: m.steps, warmupStepsSkipped: WARMUP, tokensPerStep: rows,
      tokensPerS: round((m.tokens! * 1000) / wallMs, 0),
      medianStepMs: round(m.median_step_ms!, 1),
      lastTenthMeanLoss: round(lastTenthLoss, 4), lastTenthSteps: tenth,
      shares: { data: round(dataShare, 4), compute: round(m.ms_compute! / wallMs, 4), stats: round(m.ms_stats! / wallMs, 4), sinks: round(m.ms_sinks! / wallMs, 4), statsAndSinks: round(statsSinksShare, 4) },
      maxDataWaitMs: round(m.max_data!, 1),
      ...(cpu ? { cpu } : {}),
      modelGflopsPerS: round(m.flops! / (wallMs * 1e6), 2),
      ...(batchHashes ? { batchHashes } : {}),
      mfu: round(m.flops! / (wallMs * 1e6) / matmulGflops, 3),
      targets: { dataShareMax: 0.02, dataOk: dataShare <= 0.02, statsAndSinksShareMax: 0.03, statsAndSinksOk: statsSinksShare <= 0.03 },
      run: { wallS: round(wallS, 1), steps: summary.steps, finalLoss: summary.lastLoss },
      load: { loadavgBefore: load0.map((x) => round(x)), loadavgAfter: load1.map((x) => round(x)), coresFreeBefore: freeShare(load0[0]!), coresFreeAfterExcludingOurs: freeShare(load1[0]!, workers) },
    });
  }
  const first = runs[0]!, last = runs[runs.length - 1]!;
  const ratio = round(last.tokensPerS / first.tokensPerS, 3);
  const projected = first.cpu && last.cpu ? round(last.cpu.projectedIdleTokensPerS / first.cpu.projectedIdleTokensPerS, 3) : undefined;
  console.log(JSON.stringify({
    bench: 'train', pipeline: file, overrides: sets, backend: tf.getBackend(), steps,
    runs,
    speedup: { of: `workers ${last.workers} vs ${first.workers}`, ratio, target: 1.8, ok: ratio >= 1.8, ...(projected !== undefined ? { projectedOnIdleCoresFromCpuAccounting: projected } : {}) },
    matmul,
    machine: { cores, availableParallelism: availableParallelism() },
  }, null, 2));
} finally {
  await rm(out, { recursive: true, force: true });
}
