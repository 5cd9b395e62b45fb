/**
 * The wasm backend on 1 and on N threads (trainer.threads; src/models/wasm-threads.ts), as JSON.
 * A process's wasm binary is fixed once it starts, so each thread count runs as its own child
 * process of bench/train (the quickstart through `pipeline run`'s driver, workers 1) and, with
 * `--moe-layer`, of bench/moe-layer (moe_layer on T 2048, d 256, h 512, E 8, K 2), alternating
 * the counts over `--rounds` rounds so load drift hits both. Prints each child's figures, the
 * medians, the tokens/s ratio N ÷ 1 (issue 11's target for the quickstart on 2 cores: ≥ 1.8) and
 * both runs' last-tenth mean loss (the threaded binary computes the same bits, so they match).
 * `--matmul xnnpack` (default) measures that pool; `--matmul onnxruntime` measures ONNX Runtime's
 * intra-op threads instead (trainer.matmul; their bits differ between thread counts).
 * Usage: node dist/bench/threads.js [steps=60] [--threads 1,2] [--rounds 1] [--moe-layer] [--matmul xnnpack|onnxruntime] [--set K=V]...
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, round } from './matmul-rate.js';

const args = process.argv.slice(2);
let counts = [1, 2];
let rounds = 1;
let moeLayer = false;
let matmul = 'xnnpack';
const sets: string[] = [];
const pos: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') counts = args[++i]!.split(',').map(Number);
  else if (args[i] === '--rounds') rounds = Number(args[++i]);
  else if (args[i] === '--moe-layer') moeLayer = true;
  else if (args[i] === '--matmul') matmul = args[++i]!;
  else if (args[i] === '--set') sets.push('--set', args[++i]!);
  else pos.push(args[i]!);
}
const steps = Number(pos[0] ?? 60);
const here = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

function child(script: string, argv: string[], threads: number): Record<string, unknown> {
  const stdout = execFileSync(process.execPath, [here(script), ...argv], {
    encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MOEFLOW_WASM_THREADS: String(threads), MOEFLOW_MATMUL: matmul },
  });
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

interface TrainRun { threads: number; tokensPerS: number; medianStepMs: number; lastTenthMeanLoss: number; finalLoss: number; load: number[] }
interface LayerRun { threads: number; msPerStep: number; torchRatio: number | null; load: number[] }
const train: TrainRun[] = [];
const layer: LayerRun[] = [];
for (let r = 0; r < rounds; r++) {
  for (const threads of r % 2 ? [...counts].reverse() : counts) {
    const load = loadavg().map((x) => round(x));
    const t = child('train.js', [String(steps), '--workers', '1', '--set', `trainer.threads=${threads}`, '--set', `trainer.matmul=${matmul}`, ...sets], threads) as { runs: { tokensPerS: number; medianStepMs: number; lastTenthMeanLoss: number; run: { finalLoss: number } }[] };
    const run = t.runs[0]!;
    train.push({ threads, tokensPerS: run.tokensPerS, medianStepMs: run.medianStepMs, lastTenthMeanLoss: run.lastTenthMeanLoss, finalLoss: run.run.finalLoss, load });
    if (moeLayer) {
      const loadL = loadavg().map((x) => round(x));
      const m = child('moe-layer.js', ['wasm', '5', 'moe_layer'], threads) as { results: { shape: { name: string }; routers: { algorithm?: string; router?: string; medianMs?: number; msPerStep?: number }[] }[]; pytorchAnchor: { ratio: number | null } };
      const row = m.results[0]!.routers.find((x) => (x.algorithm ?? x.router) === 'moe_layer') as Record<string, number> | undefined;
      layer.push({ threads, msPerStep: row?.['medianMs'] ?? row?.['msPerStep'] ?? NaN, torchRatio: m.pytorchAnchor.ratio, load: loadL });
    }
  }
}
const per = <T extends { threads: number }>(rows: T[], key: keyof T) => Object.fromEntries(counts.map((c) => [c, round(median(rows.filter((x) => x.threads === c).map((x) => Number(x[key]))), 2)]));
const tps = per(train, 'tokensPerS');
const first = counts[0]!, last = counts[counts.length - 1]!;
console.log(JSON.stringify({
  bench: 'threads', steps, rounds, counts, matmul, cores: cpus().length,
  train: { runs: train, medianTokensPerS: tps, ratio: round(tps[last]! / tps[first]!, 3), of: `${last} threads vs ${first}`, target: 1.8, lastTenthMeanLoss: per(train, 'lastTenthMeanLoss') },
  ...(moeLayer ? { moeLayer: { runs: layer, medianMsPerStep: per(layer, 'msPerStep'), speedup: round(per(layer, 'msPerStep')[first]! / per(layer, 'msPerStep')[last]!, 3) } } : {}),
}, null, 2));
