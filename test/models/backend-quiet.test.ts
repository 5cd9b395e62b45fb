import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainChildEnv } from '../support/child-env.js';
import { BIN, tinyPipeline } from '../integration/tiny-run.js';

/**
 * Dawn and the Vulkan loader write to fd 2 directly ("error: XDG_RUNTIME_DIR is invalid…",
 * "Warning: Vulkan … required" with a path on Dawn's build machine), which only a child
 * process's stderr shows. These hold with and without a Vulkan loader installed: without one
 * the probe stops before Dawn, with one (and no usable GPU) Dawn runs in a throwaway child.
 */
const DAWN_NOISE = /XDG_RUNTIME_DIR|Vulkan|BackendType|third_party\/dawn|While initializing adapter/;

const vulkanLoader = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']
  .some((d) => existsSync(join(d, 'libvulkan.so.1')));

/** `pipeline run` as CI runs it: no XDG_RUNTIME_DIR (what makes libwayland complain), no colour. */
function pipelineRun(args: string[]): { status: number | null; stderr: string } {
  const env = plainChildEnv();
  delete env['XDG_RUNTIME_DIR'];
  const r = spawnSync(process.execPath, [BIN, 'run', ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { status: r.status, stderr: r.stderr };
}

test('"--backend auto" on a machine without a usable GPU prints nothing from Dawn; why webgpu was skipped is one line in config.yaml', (t) => {
  t.diagnostic(vulkanLoader ? 'a Vulkan loader is installed: Dawn is probed in a child process' : 'no Vulkan loader: the probe stops before Dawn');
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-quiet-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    writeFileSync(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0 }));
    const r = pipelineRun([cfg, '--backend', 'auto', '--out', join(dir, 'o')]);
    assert.equal(r.status, 0, r.stderr);
    const config = readFileSync(join(dir, 'o', readdirSync(join(dir, 'o'))[0]!, 'config.yaml'), 'utf8');
    const reason = /^ {4}reason: (.*)$/m.exec(config)?.[1] ?? '';
    if (/resolved: webgpu/.test(config)) return t.skip('this machine has a WebGPU adapter');
    assert.doesNotMatch(r.stderr, DAWN_NOISE);
    assert.match(reason, /skipped .*webgpu: (no WebGPU adapter|optional package "webgpu" not installed)/);
    assert.doesNotMatch(reason, /XDG_RUNTIME_DIR|third_party/, 'the reason keeps Dawn\'s message, not its noise');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('"--backend webgpu" without a usable GPU is one clear error and nothing from Dawn', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-quiet-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    writeFileSync(cfg, tinyPipeline({ steps: 2, checkpointEvery: 0 }));
    const r = pipelineRun([cfg, '--backend', 'webgpu', '--out', join(dir, 'o')]);
    if (r.status === 0) return t.skip('this machine has a WebGPU adapter');
    assert.match(r.stderr, /backend "webgpu" could not start: (no WebGPU adapter|optional package "webgpu" not installed)/);
    assert.doesNotMatch(r.stderr.replace(/backend "webgpu" could not start: .*/, ''), DAWN_NOISE, 'Dawn prints nothing itself');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
