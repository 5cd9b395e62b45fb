/**
 * Whole-model training against eager PyTorch on the same batches, as JSON (issue 11's target:
 * moeflow tokens/s ≥ 0.5× PyTorch with 2 threads, in the same run; PyTorch's 1-thread figure too).
 *
 * 1. dumps the first `steps` batches the pipeline trains on and its initial weights with the
 *    project's own data plan (bench/anchor-dump.ts);
 * 2. trains them with `pipeline run`'s driver (bench/train.ts, `--workers N`, default 1, as a child process) and
 *    checks every step's `batch_hash` against the dump;
 * 3. trains ../shared/anchors/lm_train_torch.py on the dump from the same weights, with 2 threads
 *    and with 1 (Debian's python3-torch; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset);
 * 4. prints both sides' median tokens/s, the ratios, and the last-tenth mean losses.
 * Usage: node dist/bench/train-torch.js [steps=200] [pipeline=pipelines/quickstart.yaml] [--workers N] [--set K=V]...
 *        (MOEFLOW_SHARED=path/to/shared when ../shared is not beside the working directory)
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../src/config/load.js';
import { selectBackend } from '../src/models/backend.js';
import { writeAnchorDump } from './anchor-dump.js';
import { round } from './matmul-rate.js';
import { PYTHON, anchorEnv, sharedDir, torchProblem } from './python-anchor.js';

const args = process.argv.slice(2);
const sets: string[] = [];
const pos: string[] = [];
let workers = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--set') sets.push(args[++i]!);
  else if (args[i] === '--workers') workers = Number(args[++i]);
  else pos.push(args[i]!);
}
const steps = Number(pos[0] ?? 200);
const file = pos[1] ?? 'pipelines/quickstart.yaml';
const anchor = join(sharedDir(), 'anchors', 'lm_train_torch.py');
if (!existsSync(anchor)) throw new Error(`${anchor} not found (run from the repo root with ../shared beside it, or set MOEFLOW_SHARED)`);
const missing = torchProblem();
if (missing) throw new Error(missing);

const work = await mkdtemp(join(tmpdir(), 'moeflow-train-torch-'));
try {
  const overrides = [`trainer.steps=${steps}`, 'trainer.checkpointEvery=0', ...sets];
  const { config } = await loadPipeline(file, overrides);
  await selectBackend(config.trainer.backend);
  const dump = await writeAnchorDump(config, steps, join(work, 'batches'));

  const load0 = loadavg()[0]!;
  const trainJs = fileURLToPath(new URL('./train.js', import.meta.url));
  const ours = JSON.parse(execFileSync(process.execPath, [trainJs, String(steps), file, '--workers', String(workers), '--hashes', ...sets.flatMap((s) => ['--set', s])],
    { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] })) as { runs: { tokensPerS: number; lastTenthMeanLoss: number; batchHashes?: string[] }[] };
  const run = ours.runs[0]!;
  const mismatched = run.batchHashes ? run.batchHashes.filter((h, i) => h !== dump.hashes[i]).length : null;

  const env = anchorEnv();
  const torch = (threads: number): { tokens_per_s: number; last_tenth_loss: number; parameter_count: number } => {
    const out = execFileSync(PYTHON, [anchor, dump.sidecar, '--threads', String(threads), '--steps', String(steps)], { encoding: 'utf8', env, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop()!);
  };
  const t2 = torch(2);
  const t1 = torch(1);
  const load1 = loadavg()[0]!;
  console.log(JSON.stringify({
    bench: 'train-torch', pipeline: file, overrides: sets, steps,
    batches: { dumped: dump.batches, hashMismatchesWithTheRun: mismatched },
    moeflow: { workers, tokensPerS: run.tokensPerS, lastTenthMeanLoss: run.lastTenthMeanLoss, parameters: dump.parameterCount },
    torch2: { tokensPerS: round(t2.tokens_per_s, 0), lastTenthMeanLoss: round(t2.last_tenth_loss, 4), parameters: t2.parameter_count },
    torch1: { tokensPerS: round(t1.tokens_per_s, 0), lastTenthMeanLoss: round(t1.last_tenth_loss, 4) },
    ratio: { vsTorch2Threads: round(run.tokensPerS / t2.tokens_per_s, 3), vsTorch1Thread: round(run.tokensPerS / t1.tokens_per_s, 3), target: 0.5 },
    load: { before: round(load0), after: round(load1) },
  }, null, 2));
} finally {
  await rm(work, { recursive: true, force: true });
}
