import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { plainChildEnv } from '../support/child-env.js';
import { useThreadedWasm } from '../../src/models/wasm-threads.js';
import { threadCount } from '../../src/cli/run/workers.js';
import type { PipelineConfig } from '../../src/config/schema.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./wasm-threads-child.js', import.meta.url));

async function train(threads: number): Promise<{ threads: number; reason: string; losses: number[]; hash: string }> {
  // The child must end on its own: a pthread worker left referenced would keep it alive until the timeout.
  const { stdout } = await run(process.execPath, [CHILD, String(threads)], { env: plainChildEnv(), timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

test("the threaded wasm binary trains an MoE LM to the single-threaded binary's bits, with the pool it was asked for", async () => {
  const one = await train(1);
  const two = await train(2);
  assert.equal(one.threads, 1);
  assert.match(one.reason, /wasm SIMD, 1 thread/);
  assert.equal(two.threads, 2, 'the XNNPACK pool has 2 threads (tfjs would halve the core count)');
  assert.match(two.reason, /2 threads \(XNNPACK pool/);
  assert.ok(one.losses.every(Number.isFinite));
  assert.deepEqual(two.losses, one.losses);
  assert.equal(two.hash, one.hash, 'losses and every final weight are bit-identical');
});

test('a thread count outside 1…8 is refused, naming the range', () => {
  assert.throws(() => useThreadedWasm(0), /expected an integer 1…8, got 0/);
  assert.throws(() => useThreadedWasm(9), /expected an integer 1…8, got 9/);
  assert.throws(() => useThreadedWasm(1.5), /got 1.5/);
});

test('trainer.threads: "auto" is one per core alone and 1 beside workers; threads and workers together are refused', () => {
  const config = (threads: number | 'auto'): PipelineConfig => ({ trainer: { threads } }) as unknown as PipelineConfig;
  assert.equal(threadCount(config(1), 1), 1);
  assert.equal(threadCount(config(3), 1), 3);
  assert.equal(threadCount(config('auto'), 2), 1);
  assert.ok(threadCount(config('auto'), 1) >= 1);
  assert.throws(() => threadCount(config(2), 2), /trainer\.threads: 2 threads with trainer\.workers: 2/);
  assert.throws(() => threadCount(config(12), 1), /trainer\.threads: at most 8/);
});

