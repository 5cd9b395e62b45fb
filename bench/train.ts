/**
 * Whole-pipeline training throughput as JSON: the quickstart model trained by `pipeline run`'s
 * own driver (data flow, trainer, sinks), then the metrics table read back with DuckDB.
 * Prints tokens/s, the share of step time spent waiting for data (target ≤ 2%), on routing
 * statistics and sinks (target ≤ 3%), and model-FLOP utilisation against the backend's dense
 * 2-D matMul rate measured in the same process (before and after training).
 * Usage: node dist/bench/train.js [steps=60] [pipeline=pipelines/quickstart.yaml] [--set K=V]...
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadPipeline } from '../src/config/load.js';
import { newRunDir, writeRunConfig } from '../src/cli/shared/run-dir.js';
import { runPipeline } from '../src/cli/run/run-pipeline.js';
import { trainDriver } from '../src/cli/run/driver.js';
import { runtimeVersions } from '../src/cli/shared/versions.js';
import { tf } from '../src/models/tf.js';
import { matmulRate, round } from './matmul-rate.js';

const args = process.argv.slice(2);
const sets: string[] = [];
const pos: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--set') sets.push(args[++i]!);
  else pos.push(args[i]!);
}
const steps = Number(pos[0] ?? 60);
const file = pos[1] ?? 'pipelines/quickstart.yaml';
const WARMUP = 3; // first steps include kernel compilation and the data plane's start

const out = await mkdtemp(join(tmpdir(), 'moeflow-bench-train-'));
const load0 = loadavg();
try {
  const { config } = await loadPipeline(file, [`trainer.steps=${steps}`, 'trainer.evalEvery=0', 'trainer.checkpointEvery=0', `out.dir=${out}`, ...sets]);
  const { id, dir } = await newRunDir(out, 'bench');
  const record = { id, created: new Date().toISOString(), source: file, overrides: sets, seed: { data: config.data.seed, trainer: config.trainer.seed }, backend: { requested: config.trainer.backend }, versions: runtimeVersions() };
  await writeRunConfig(dir, config, record);
  const t0 = performance.now();
  const summary = await runPipeline(config, { runId: id, runDir: dir, record, trainer: trainDriver, progress: false, log: (s) => process.stderr.write(s) });
  const wallS = (performance.now() - t0) / 1000;
  const rows = config.data.batchSize * config.trainer.accumulate * config.data.seqLen;
  const rate = async () => matmulRate(rows, config.model.dModel, 4 * config.model.dModel, 5);
  const [r1, r2] = [await rate(), await rate()];
  const matmulGflops = (r1.gflops + r2.gflops) / 2;

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const q = await con.runAndReadAll(`SELECT count(*)::INT steps, sum(tokens)::DOUBLE tokens, sum(flops)::DOUBLE flops,
      sum(ms_data)::DOUBLE ms_data, sum(ms_compute)::DOUBLE ms_compute, sum(ms_stats)::DOUBLE ms_stats, sum(ms_sinks)::DOUBLE ms_sinks,
      median(ms_data + ms_compute + ms_stats + ms_sinks)::DOUBLE median_step_ms, max(ms_data)::DOUBLE max_data
    FROM read_parquet('${join(dir, 'metrics')}-*.parquet') WHERE step > ${WARMUP}`);
  const m = q.getRowObjectsJS()[0] as Record<string, number>;
  con.closeSync();
  db.closeSync();
  const wallMs = m.ms_data! + m.ms_compute! + m.ms_stats! + m.ms_sinks!;
  const dataShare = m.ms_data! / wallMs;
  const statsSinksShare = (m.ms_stats! + m.ms_sinks!) / wallMs;
  const mfu = m.flops! / (wallMs * 1e6) / matmulGflops;
  console.log(JSON.stringify({
    bench: 'train', pipeline: file, overrides: sets, backend: tf.getBackend(), stepsMeasured: m.steps, warmupStepsSkipped: WARMUP,
    tokensPerStep: rows,
    tokensPerS: round((m.tokens! * 1000) / wallMs, 0),
    medianStepMs: round(m.median_step_ms!, 1),
    shares: { data: round(dataShare, 4), compute: round(m.ms_compute! / wallMs, 4), stats: round(m.ms_stats! / wallMs, 4), sinks: round(m.ms_sinks! / wallMs, 4), statsAndSinks: round(statsSinksShare, 4) },
    maxDataWaitMs: round(m.max_data!, 1),
    modelGflopsPerS: round(m.flops! / (wallMs * 1e6), 2),
    matmul: { shape: [r1.m, r1.k, r1.n], gflops: round(matmulGflops, 2), samples: [r1.gflops, r2.gflops] },
    mfu: round(mfu, 3),
    targets: { dataShareMax: 0.02, dataOk: dataShare <= 0.02, statsAndSinksShareMax: 0.03, statsAndSinksOk: statsSinksShare <= 0.03 },
    run: { wallS: round(wallS, 1), steps: summary.steps, finalLoss: summary.lastLoss },
    machine: { cores: cpus().length, loadavgBefore: load0.map((x) => round(x)), loadavgAfter: loadavg().map((x) => round(x)) },
  }, null, 2));
} finally {
  await rm(out, { recursive: true, force: true });
}
