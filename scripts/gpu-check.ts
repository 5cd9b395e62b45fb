/**
 * One prepared GPU check (issue 11): `bash scripts/gpu-check.sh` runs this from the bundle that
 * scripts/gpu-bundle.sh builds (or `node dist/scripts/gpu-check.js` from a checkout). Each step
 * runs in a child process of this file (`gpu-check.js <step>`) with its own time limit, so a
 * crash or hang in Dawn costs that step only; the parent writes ONE JSON file:
 *
 *   adapter    Dawn's adapter (vendor, architecture, device, description, fallback flag, features);
 *              a CPU fallback (SwiftShader, llvmpipe, lavapipe, isFallbackAdapter) fails the check
 *   ops        the webgpu backend starts (navigator shim, flat feature list); matMul GFLOP/s at the
 *              MoE bench's dense shape and at 4096×4096×4096; a dense FFN forward+backward
 *   golden     the golden set on webgpu with the fp32-GPU tolerances (test/golden/backend-tolerance.ts)
 *   moe-layer  bench/moe-layer on webgpu (router moe_layer, T 2048, d 256, h 512, E 8, K 2)
 *   quickstart 20 training steps of pipelines/quickstart.yaml's model on synthetic tokens
 *   lm-154m    20 training steps of pipelines/lm-154m.yaml's model (sequence 1024, batch
 *              GPU_CHECK_154M_BATCH, default 8) on synthetic tokens
 *   torch      the same MoE layer in PyTorch eager on the GPU (moe_layer_torch_gpu.py), when
 *              python3 with a CUDA torch exists; with moe-layer, the ratio
 *
 * Exit status: 0 when the adapter is a real GPU and every step passed; 2 when there is no GPU
 * adapter (the JSON's `verdict` says why); 1 otherwise. Usage:
 *   node gpu-check.js [--out FILE] [--budget SECONDS]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createRequire } from 'node:module';
import { cpus, totalmem, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULT_TAG = 'GPUCHECK_RESULT ';
/**
 * The backend of every step: webgpu. GPU_CHECK_BACKEND=cpu (with --only) is a dry run of the
 * steps' own code on a machine without a GPU (how the script is tested); it is never a GPU result.
 */
/** Training steps per pipeline (20; GPU_CHECK_TRAIN_STEPS for a short dry run). */
const STEPS_TRAIN = Number(process.env['GPU_CHECK_TRAIN_STEPS'] ?? 20);
const BACKEND = (process.env['GPU_CHECK_BACKEND'] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';

/** Steps in order, with their time limits in seconds (sum ≤ 8 minutes with the adapter probe). */
const STEPS: readonly { name: string; limitS: number }[] = [
  { name: 'adapter', limitS: 40 },
  { name: 'ops', limitS: 60 },
  { name: 'golden', limitS: 90 },
  { name: 'moe-layer', limitS: 90 },
  { name: 'quickstart', limitS: 60 },
  { name: 'lm-154m', limitS: 90 },
  { name: 'torch', limitS: 60 },
];

/** Words that name a CPU implementation of WebGPU/Vulkan rather than a GPU. */
export const CPU_FALLBACK = /swiftshader|llvmpipe|lavapipe|softpipe|\bcpu\b|software/i;

export interface AdapterInfo {
  vendor?: string; architecture?: string; device?: string; description?: string;
  isFallbackAdapter?: boolean; backendType?: string; adapterType?: string; features?: string[];
}

/** Why this adapter is not a real GPU, or null when it is one. */
export function fallbackReason(info: AdapterInfo): string | null {
  if (info.isFallbackAdapter) return 'Dawn marks the adapter as a fallback adapter (isFallbackAdapter)';
  if (info.adapterType && /cpu/i.test(info.adapterType)) return `adapter type is ${info.adapterType}`;
  const words = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const m = CPU_FALLBACK.exec(words);
  return m ? `adapter "${words}" is a CPU implementation (${m[0]})` : null;
}

type StepOut = { ok: boolean; skipped?: boolean; why?: string; [k: string]: unknown };

function emit(r: StepOut): void {
  process.stdout.write(`\n${RESULT_TAG}${JSON.stringify(r)}\n`);
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

/**
 * Where the bundle (or checkout) keeps a file: in the bundle (app/js/…), else in the checkout
 * that holds the bundle (.gpu-bundle/app/js → three folders up) or the build (dist/scripts → two up).
 */
function asset(bundled: string, repo: string): string {
  const candidates = [join(HERE, bundled), resolve(HERE, '..', '..', '..', repo), resolve(HERE, '..', '..', repo)];
  return candidates.find((c) => existsSync(c)) ?? candidates[candidates.length - 1]!;
}

// ---------------------------------------------------------------- steps (child processes)

async function stepAdapter(): Promise<StepOut> {
  let dawnEntry: string;
  try {
    dawnEntry = createRequire(join(HERE, 'gpu-check.js')).resolve('webgpu');
  } catch (e) {
    return { ok: false, why: `no GPU adapter: package "webgpu" (Dawn) not found (${firstLine(e)})` };
  }
  const { dawnRuntimeDir } = await import('../src/models/dawn-probe.js');
  const runtime = dawnRuntimeDir();
  process.env['XDG_RUNTIME_DIR'] = runtime.path;
  try {
    const dawn = (await import(dawnEntry)) as { create: (f: string[]) => { requestAdapter(o?: unknown): Promise<unknown> } };
    const gpu = dawn.create([]);
    const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as
      | { info?: AdapterInfo & { type?: string }; isFallbackAdapter?: boolean; features?: Iterable<string> } | null;
    if (!adapter) return { ok: false, why: 'no GPU adapter: Dawn returned none (no Vulkan driver for a GPU on this machine?)' };
    const i = adapter.info ?? {};
    const info: AdapterInfo = {
      vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
      isFallbackAdapter: Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter),
      ...(i.backendType ? { backendType: i.backendType } : {}),
      ...(i.adapterType ?? i.type ? { adapterType: String(i.adapterType ?? i.type) } : {}),
      features: adapter.features ? [...adapter.features].sort() : [],
    };
    const fallback = fallbackReason(info);
    return fallback ? { ok: false, why: `no GPU adapter: ${fallback}`, info, fallback: true } : { ok: true, info };
  } catch (e) {
    return { ok: false, why: `no GPU adapter: Dawn failed (${firstLine(e)})` };
  } finally {
    runtime.release();
  }
}

async function stepOps(): Promise<StepOut> {
  const { selectBackend } = await import('../src/models/backend.js');
  const choice = await selectBackend(BACKEND);
  const { matmulRate } = await import('../bench/matmul-rate.js');
  const { denseFfnStepMs } = await import('./gpu-check-ops.js');
  const moeDense = await matmulRate(2048, 256, 1024, 5);
  const big = await matmulRate(4096, 4096, 4096, 5);
  const ffn = await denseFfnStepMs(2048, 256, 1024, 5);
  return { ok: true, backend: choice.reason, matmul_2048x256x1024: moeDense, matmul_4096x4096x4096: big, denseFfnFwdBwd_T2048_d256_h1024: ffn };
}

async function stepGolden(): Promise<StepOut> {
  process.env['GOLDEN_DIR'] ??= asset('golden', 'test/fixtures/golden');
  const { listCases, runOnBackend, describeFailure } = await import('../test/golden/suite.js');
  const { listModelCases } = await import('../test/golden/model/model-case.js');
  const { runModelCase } = await import('../test/golden/model/run-model-case.js');
  const { TOLERANCES } = await import('../test/golden/backend-tolerance.js');
  const dir = process.env['GOLDEN_DIR']!;
  const cases: { id: string; ok: boolean; why?: string }[] = [];
  for (const c of listCases(dir)) {
    const r = await runOnBackend(BACKEND, c);
    cases.push({ id: c.id, ok: r.ok, ...(r.ok ? {} : { why: describeFailure(r).split('\n').slice(0, 3).join(' | ') }) });
  }
  for (const c of listModelCases(dir)) {
    const r = await runModelCase(BACKEND, c);
    cases.push({ id: c.id, ok: r.ok, ...(r.ok ? {} : { why: describeFailure(r).split('\n').slice(0, 3).join(' | ') }) });
  }
  const passed = cases.filter((c) => c.ok).length;
  return { ok: passed === cases.length, dir, backend: BACKEND, tolerances: TOLERANCES[BACKEND], passed, total: cases.length, cases };
}

/** `steps` training steps of a pipeline's model on synthetic tokens on webgpu. */
/**
 * The pipeline's `model`, `trainer` and batch shape read straight from its YAML (the full config
 * loader pulls in the data plane's native packages, which the bundle does not carry), with the
 * schema's defaults for the fields the check's pipelines leave out, and `section.key=value` sets.
 */
function pipelineModelConfig(file: string, sets: string[]): { model: Record<string, unknown>; trainer: Record<string, unknown>; data: { batchSize: number; seqLen: number } } {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  for (const kv of sets) {
    const [path, value] = kv.split('=') as [string, string];
    const keys = path.split('.');
    let o = doc as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[keys.at(-1)!] = Number.isNaN(Number(value)) ? value : Number(value);
  }
  const model = { ffMultiplier: 4, dense: false, ...doc['model'] };
  const trainer = { steps: 20, lr: 1e-3, warmupSteps: 0, minLrRatio: 0.1, gradClip: 1, accumulate: 1, betas: [0.9, 0.999], weightDecay: 0.01, seed: 42, ...doc['trainer'], backend: 'webgpu' };
  const data = doc['data'] as { batchSize: number; seqLen: number };
  return { model, trainer, data: { batchSize: Number(data.batchSize), seqLen: Number(data.seqLen) } };
}

async function stepTrain(pipeline: string, sets: string[], vocab: number): Promise<StepOut> {
  const { selectBackend } = await import('../src/models/backend.js');
  const choice = await selectBackend(BACKEND);
  const { buildTrainer } = await import('../src/cli/run/build-model.js');
  const config = pipelineModelConfig(pipeline, sets);
  const trainer = buildTrainer(config as never, vocab);
  const B = config.data.batchSize, T = config.data.seqLen, V = vocab;
  const tokens = new Int32Array(B * (T + 1));
  let s = 12345;
  for (let i = 0; i < tokens.length; i++) { s = (s * 1103515245 + 12345) >>> 0; tokens[i] = s % V; }
  const batch = { tokens, batchSize: B, seqLen: T };
  const ms: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < STEPS_TRAIN; i++) {
    const t0 = performance.now();
    const r = await trainer.trainStep(batch);
    ms.push(performance.now() - t0);
    losses.push(Number((r as unknown as { loss: number }).loss));
  }
  const steady = (ms.length > 4 ? ms.slice(3) : ms).sort((a, b) => a - b);
  const med = steady[Math.floor(steady.length / 2)]!;
  return { ok: true, backend: choice.reason, batch: B, seqLen: T, stepsRun: STEPS_TRAIN, medianStepMs: Math.round(med * 10) / 10, tokensPerSec: Math.round((B * T) / (med / 1000)), firstStepMs: Math.round(ms[0]!), losses };
}

function stepMoeLayer(): StepOut {
  const bench = asset('moe-layer.js', 'dist/bench/moe-layer.js');
  // MOEFLOW_SHARED pointed nowhere: the CPU PyTorch anchor is skipped; the GPU one is the torch step.
  const run = spawnSync(process.execPath, [bench, BACKEND, '3', 'moe_layer'], { encoding: 'utf8', env: { ...process.env, MOEFLOW_SHARED: join(HERE, 'no-cpu-anchor') }, timeout: 85_000 });
  const json = lastJson(run.stdout ?? '');
  if (run.status !== 0 || json === null) return { ok: false, why: `bench/moe-layer exited ${run.status ?? run.signal}: ${tail(run.stderr ?? run.stdout ?? '')}` };
  return { ok: true, result: json };
}

function stepTorch(): StepOut {
  const script = asset('moe_layer_torch_gpu.py', 'scripts/gpu/moe_layer_torch_gpu.py');
  const py = process.env['PYTHON'] ?? 'python3';
  const probe = spawnSync(py, ['-c', 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 3)'], { encoding: 'utf8' });
  if (probe.error) return { ok: true, skipped: true, why: `${py} not found` };
  if (probe.status === 1) return { ok: true, skipped: true, why: `${py} has no torch` };
  if (probe.status === 3) return { ok: true, skipped: true, why: 'torch present but torch.cuda.is_available() is false' };
  const run = spawnSync(py, [script], { encoding: 'utf8', timeout: 55_000 });
  const json = lastJson(run.stdout ?? '');
  if (run.status !== 0 || json === null) return { ok: false, why: `moe_layer_torch_gpu.py exited ${run.status ?? run.signal}: ${tail(run.stderr ?? '')}` };
  return { ok: true, result: json };
}

function lastJson(text: string): unknown {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) {
    const t = l.trim();
    if (t.startsWith('{')) { try { return JSON.parse(t); } catch { /* not JSON */ } }
  }
  try { return JSON.parse(text); } catch { return null; }
}

function tail(s: string): string {
  return s.trim().split('\n').slice(-4).join(' | ').slice(0, 600);
}

/** moeflow's moe_layer step on webgpu ÷ PyTorch eager's on the same GPU, shape T2048-d256-h512-E8-K2. */
export function moeLayerRatio(moe: StepOut | undefined, torch: StepOut | undefined): { moeflowMs: number; torchMs: number; ratio: number; note: string } | null {
  type Row = { router?: string; medianMs?: number };
  const results = (moe?.['result'] as { results?: { shape?: { name?: string }; routers?: Row[] }[] } | undefined)?.results ?? [];
  const e8 = results.find((r) => r.shape?.name === 'T2048-d256-h512-E8-K2');
  const oursMs = e8?.routers?.find((r) => r.router === 'moe_layer')?.medianMs;
  const torchMs = (torch?.['result'] as { moe_fwd_bwd?: { medianMsPerStep?: number } } | undefined)?.moe_fwd_bwd?.medianMsPerStep;
  if (!oursMs || !torchMs) return null;
  return { moeflowMs: oursMs, torchMs, ratio: Math.round((oursMs / torchMs) * 100) / 100, note: 'forward+backward of one MoE layer, no optimiser update on either side' };
}

async function runStep(name: string): Promise<StepOut> {
  switch (name) {
    case 'adapter': return stepAdapter();
    case 'ops': return stepOps();
    case 'golden': return stepGolden();
    case 'moe-layer': return stepMoeLayer();
    case 'quickstart': return stepTrain(asset('pipelines/quickstart.yaml', 'pipelines/quickstart.yaml'), [], 1024);
    case 'lm-154m': return stepTrain(asset('pipelines/lm-154m.yaml', 'pipelines/lm-154m.yaml'), [`data.batchSize=${process.env['GPU_CHECK_154M_BATCH'] ?? 8}`], 8000);
    case 'torch': return stepTorch();
    default: throw new Error(`unknown step ${name}`);
  }
}

// ---------------------------------------------------------------- parent

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const step = args[0] && !args[0].startsWith('--') ? args[0] : null;
  if (step) {
    try {
      emit(await runStep(step));
    } catch (e) {
      const name = (e as Error)?.name;
      emit({ ok: false, why: `${name === 'SyncReadbackError' ? 'blocked by a synchronous read-back: ' : ''}${firstLine(e)}`, stack: String((e as Error)?.stack ?? '').split('\n').slice(0, 6).join('\n') });
    }
    return 0;
  }
  const outIdx = args.indexOf('--out');
  const out = resolve(outIdx >= 0 ? args[outIdx + 1]! : 'gpu-check.json');
  const budgetIdx = args.indexOf('--budget');
  const budgetS = budgetIdx >= 0 ? Number(args[budgetIdx + 1]) : 450;
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? args[onlyIdx + 1]!.split(',') : null;
  const t0 = Date.now();
  const report: Record<string, unknown> = {
    backend: BACKEND, ...(BACKEND !== 'webgpu' ? { dryRun: `GPU_CHECK_BACKEND=${BACKEND}: not a GPU result` } : {}),
    started: new Date().toISOString(), host: hostname(), node: process.version, cpus: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30), ldLibraryPath: process.env['LD_LIBRARY_PATH'] ?? null, steps: {},
  };
  const steps = report['steps'] as Record<string, unknown>;
  const self = fileURLToPath(import.meta.url);
  let gpu = false;
  for (const { name, limitS } of STEPS) {
    const left = budgetS - (Date.now() - t0) / 1000;
    if (only && !only.includes(name)) { steps[name] = { ok: true, skipped: true, why: 'not in --only' }; continue; }
    if (left < 10) { steps[name] = { ok: false, skipped: true, why: `time budget (${budgetS} s) spent` }; continue; }
    if (name !== 'adapter' && name !== 'torch' && !gpu && BACKEND === 'webgpu') { steps[name] = { ok: false, skipped: true, why: 'no GPU adapter' }; continue; }
    const limit = Math.min(limitS, left);
    const s0 = Date.now();
    console.log(`[gpu-check] ${name} (limit ${Math.round(limit)} s)`);
    const run = spawnSync(process.execPath, [self, name], { encoding: 'utf8', timeout: limit * 1000, maxBuffer: 64 << 20, env: process.env });
    const line = (run.stdout ?? '').split('\n').filter((l) => l.startsWith(RESULT_TAG)).pop();
    let r: StepOut;
    if (line) r = JSON.parse(line.slice(RESULT_TAG.length)) as StepOut;
    else if (run.error || run.signal) r = { ok: false, why: `step killed (${run.error?.message ?? run.signal}) after ${Math.round((Date.now() - s0) / 1000)} s` };
    else r = { ok: false, why: `step exited ${run.status} without a result: ${tail(run.stderr ?? '')}` };
    r['seconds'] = Math.round((Date.now() - s0) / 100) / 10;
    steps[name] = r;
    console.log(`[gpu-check] ${name}: ${r.skipped ? 'SKIP' : r.ok ? 'ok' : 'FAIL'}${r.why ? ` — ${r.why}` : ''}`);
    if (name === 'adapter') {
      gpu = r.ok;
      const info = r['info'] as AdapterInfo | undefined;
      console.log(`[gpu-check] adapter: ${info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') : 'none'}`);
    }
  }
  report['moeLayerRatio'] = moeLayerRatio(steps['moe-layer'] as StepOut | undefined, steps['torch'] as StepOut | undefined);
  const all = Object.values(steps) as StepOut[];
  const failed = Object.entries(steps).filter(([, s]) => !(s as StepOut).ok).map(([n]) => n);
  if (BACKEND !== 'webgpu') {
    report['verdict'] = `DRY RUN on ${BACKEND} (not a GPU result): ${failed.length ? `failed ${failed.join(', ')}` : 'every selected step ran'}`;
    report['seconds'] = Math.round((Date.now() - t0) / 1000);
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    console.log(`[gpu-check] ${report['verdict']}; wrote ${out}`);
    return failed.length ? 1 : 0;
  }
  report['verdict'] = !gpu ? `FAIL: ${(steps['adapter'] as StepOut).why}` : all.every((s) => s.ok) ? 'PASS' : `FAIL: ${Object.entries(steps).filter(([, s]) => !(s as StepOut).ok).map(([n]) => n).join(', ')}`;
  report['seconds'] = Math.round((Date.now() - t0) / 1000);
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`[gpu-check] ${report['verdict']}; wrote ${out}`);
  return !gpu ? 2 : all.every((s) => s.ok) ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
