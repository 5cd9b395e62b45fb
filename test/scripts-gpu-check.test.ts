import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fallbackReason, moeLayerRatio } from '../scripts/gpu-check.js';

test('fallbackReason: CPU implementations are refused, GPUs pass', () => {
  assert.match(fallbackReason({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' })!, /swiftshader/i);
  assert.match(fallbackReason({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })!, /llvmpipe/);
  assert.match(fallbackReason({ vendor: 'nvidia', isFallbackAdapter: true })!, /fallback/);
  assert.match(fallbackReason({ vendor: 'x', adapterType: 'cpu' })!, /cpu/);
  assert.equal(fallbackReason({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }), null);
});

test('moeLayerRatio reads the bench output and the torch result', () => {
  const moe = { ok: true, result: { results: [{ shape: { name: 'T2048-d256-h512-E8-K2' }, routers: [{ router: 'dense-ffn (width K·h)', medianMs: 1 }, { router: 'moe_layer', medianMs: 6 }] }] } };
  const torch = { ok: true, result: { moe_fwd_bwd: { medianMsPerStep: 3 } } };
  assert.equal(moeLayerRatio(moe, torch)!.ratio, 2);
  assert.equal(moeLayerRatio(moe, { ok: true, skipped: true }), null);
});

test('without a GPU the check exits 2 and its JSON says why', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'gpu-check-')), 'r.json');
  const run = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'gpu-check.js'), '--out', out, '--only', 'adapter'], { encoding: 'utf8', timeout: 60_000 });
  const report = JSON.parse(readFileSync(out, 'utf8')) as { verdict: string; steps: { adapter: { ok: boolean; why?: string } } };
  if (report.steps.adapter.ok) return; // a machine with a real GPU: nothing to check here
  assert.equal(run.status, 2, run.stdout + run.stderr);
  assert.match(report.verdict, /^FAIL: no GPU adapter/);
  assert.match(report.steps.adapter.why!, /no GPU adapter/);
});
