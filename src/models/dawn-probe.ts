import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Asks Dawn (the `webgpu` package) for a WebGPU adapter in a short-lived child process.
 *
 * Why a child: Dawn and the Vulkan loader write to fd 2 directly ("error: XDG_RUNTIME_DIR is
 * invalid…", "Warning: Vulkan … required" with a path on Dawn's build machine), so nothing in
 * JS can silence them in this process. Measured with libvulkan1 + mesa on a machine without a
 * GPU: a valid XDG_RUNTIME_DIR removes the first two lines but not Dawn's adapter warning.
 * The child's stderr is captured; only when it found an adapter is Dawn loaded here.
 */
export type DawnProbe =
  | { adapter: true; description: string }
  | { adapter: false; why: string };

/** Generous: loading Dawn and enumerating adapters takes ~0.3 s; this only bounds a hang. */
const PROBE_TIMEOUT_MS = 30_000;

const PROBE_SCRIPT = `
const dawn = await import(process.argv[1]);
const adapter = await dawn.create([]).requestAdapter();
const info = adapter?.info ?? {};
const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
process.stdout.write(JSON.stringify(adapter ? { adapter: true, description } : { adapter: false }));
`;

export function probeDawnAdapter(dawnEntry: string): DawnProbe {
  const runtimeDir = dawnRuntimeDir();
  try {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, pathToFileURL(dawnEntry).href], {
      encoding: 'utf8',
      timeout: PROBE_TIMEOUT_MS,
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir.path, NO_COLOR: '1' },
    });
    const dawnSaid = summarise(run.stderr ?? '');
    if (run.error || run.status !== 0) {
      const how = run.error ? run.error.message : run.signal ? `killed by ${run.signal}` : `exit code ${run.status}`;
      return { adapter: false, why: `the Dawn probe failed (${how})${dawnSaid ? `: ${dawnSaid}` : ''}` };
    }
    const result = JSON.parse(run.stdout) as { adapter: boolean; description?: string };
    if (result.adapter) return { adapter: true, description: result.description || 'unnamed adapter' };
    return { adapter: false, why: `no WebGPU adapter (Dawn found no usable GPU${dawnSaid ? `: ${dawnSaid}` : ''})` };
  } finally {
    runtimeDir.release();
  }
}

/**
 * A directory for XDG_RUNTIME_DIR: the user's own when it is a directory, else a private
 * temporary one (mode 0700, removed by `release`). Without one, libwayland behind the Vulkan
 * loader prints "XDG_RUNTIME_DIR is invalid or not set" on every adapter request.
 */
export function dawnRuntimeDir(): { path: string; release: () => void } {
  const own = process.env['XDG_RUNTIME_DIR'];
  if (own && statSync(own, { throwIfNoEntry: false })?.isDirectory()) return { path: own, release: () => {} };
  const path = mkdtempSync(join(tmpdir(), 'moeflow-xdg-'));
  return { path, release: () => rmSync(path, { recursive: true, force: true }) };
}

/** Dawn's messages in one line for the run's backend record: the first warning, without build paths. */
function summarise(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/XDG_RUNTIME_DIR/.test(l) && !/^at /.test(l));
  const first = lines[0];
  if (first === undefined) return '';
  return first.replace(/^(Warning|Error|error|warning):\s*/, '').slice(0, 200);
}
