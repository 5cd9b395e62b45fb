import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixDeviceDescriptor, fixedGpu, flattenFeatures, installNavigatorGpu, type AdapterLike, type DeviceDescriptorLike, type GpuLike } from '../../src/models/webgpu-shim.js';
import { assertSyncReadable, readSyncGuarded, SyncReadbackError } from '../../src/models/readback.js';
import { tf } from '../../src/models/tf.js';

/** A fake Dawn: its adapter rejects non-string feature names the way Dawn does. */
function fakeGpu(features: string[]): { gpu: GpuLike; seen: DeviceDescriptorLike[] } {
  const seen: DeviceDescriptorLike[] = [];
  const adapter: AdapterLike = {
    features: new Set(features),
    async requestDevice(d?: DeviceDescriptorLike) {
      seen.push(d ?? {});
      for (const f of d?.requiredFeatures ?? []) {
        if (typeof f !== 'string' || !features.includes(f)) throw new TypeError(`Failed to execute 'requestDevice': invalid feature ${String(f)}`);
      }
      return { device: true };
    },
  };
  return { gpu: { async requestAdapter() { return adapter; }, wgslLanguageFeatures: new Set(['x']) }, seen };
}

test('flattenFeatures: nested lists flattened, duplicates dropped, order kept', () => {
  assert.deepEqual(flattenFeatures(['timestamp-query', ['bgra8unorm-storage']]), ['timestamp-query', 'bgra8unorm-storage']);
  assert.deepEqual(flattenFeatures([['a', ['b']], 'a', new Set(['c'])]), ['a', 'b', 'c']);
  assert.deepEqual(flattenFeatures(undefined), []);
  assert.throws(() => flattenFeatures([3]), /must be a string/);
});

test('fixDeviceDescriptor copies, leaves limits and the caller’s object alone', () => {
  const d = { requiredFeatures: [['bgra8unorm-storage']], requiredLimits: { maxBufferSize: 4 } };
  const f = fixDeviceDescriptor(d)!;
  assert.deepEqual(f.requiredFeatures, ['bgra8unorm-storage']);
  assert.equal(f['requiredLimits'], d.requiredLimits);
  assert.deepEqual(d.requiredFeatures, [['bgra8unorm-storage']]);
  assert.equal(fixDeviceDescriptor(undefined), undefined);
});

test('the descriptor tfjs-backend-webgpu 4.22 builds fails raw and succeeds through fixedGpu', async () => {
  const { gpu, seen } = fakeGpu(['timestamp-query', 'bgra8unorm-storage']);
  // What base.ts does on an adapter with both features.
  const tfjsDescriptor = { requiredFeatures: ['timestamp-query', ['bgra8unorm-storage']] };
  const raw = (await gpu.requestAdapter())!;
  await assert.rejects(raw.requestDevice(tfjsDescriptor), /invalid feature/);
  const fixed = fixedGpu(gpu);
  const adapter = (await fixed.requestAdapter({ powerPreference: 'high-performance' }))!;
  assert.deepEqual(await adapter.requestDevice(tfjsDescriptor), { device: true });
  assert.deepEqual(seen.at(-1)!.requiredFeatures, ['timestamp-query', 'bgra8unorm-storage']);
  assert.equal(fixedGpu(fixed), fixed, 'idempotent');
  assert.deepEqual(fixed['wgslLanguageFeatures'], new Set(['x']), 'other members pass through');
});

test('installNavigatorGpu: defines navigator when absent, adds gpu when present, replaces a frozen one', async () => {
  const { gpu } = fakeGpu([]);
  const g1: Record<string, unknown> = {};
  const a = installNavigatorGpu(gpu, g1);
  assert.equal((g1['navigator'] as { gpu: unknown }).gpu, a);
  const g2: Record<string, unknown> = { navigator: { userAgent: 'Node.js/22' } };
  installNavigatorGpu(gpu, g2);
  assert.ok((g2['navigator'] as { gpu?: unknown }).gpu);
  const frozen = Object.freeze({ userAgent: 'Node.js/22' });
  const g3: Record<string, unknown> = {};
  Object.defineProperty(g3, 'navigator', { value: frozen, configurable: true });
  installNavigatorGpu(gpu, g3);
  const nav = g3['navigator'] as { gpu?: GpuLike; userAgent?: string };
  assert.ok(nav.gpu);
  assert.equal(nav.userAgent, 'Node.js/22', 'the replacement inherits the original');
  // isWebGPUSupported in tfjs-backend-webgpu 4.22: !!(globalThis.navigator && globalThis.navigator.gpu)
  for (const g of [g1, g2, g3]) assert.ok(!!((g['navigator'] as { gpu?: unknown }) && (g['navigator'] as { gpu?: unknown }).gpu));
});

test('sync read-back guard: throws on webgpu naming the site, reads on cpu', async () => {
  assert.throws(() => assertSyncReadable('routing top-K', 'webgpu'), (e: unknown) => e instanceof SyncReadbackError && /routing top-K/.test(e.message) && /await t\.data\(\)/.test(e.message));
  assert.doesNotThrow(() => assertSyncReadable('x', 'wasm'));
  assert.doesNotThrow(() => assertSyncReadable('x', 'cpu'));
  await tf.setBackend('cpu');
  const t = tf.tensor1d([1, 2, 3]);
  assert.deepEqual(Array.from(readSyncGuarded(t, 'test') as Float32Array), [1, 2, 3]);
  t.dispose();
});

test('tfjs-backend-webgpu registers "webgpu" only when navigator.gpu was installed before its import', async () => {
  const { spawnSync } = await import('node:child_process');
  const models = new URL('../../src/models/', import.meta.url).href;
  const script = (install: boolean): string => `
    const { installNavigatorGpu } = await import('${models}webgpu-shim.js');
    const { tf } = await import('${models}tf.js');
    ${install ? 'installNavigatorGpu({ async requestAdapter() { return null; } });' : ''}
    await import('${models}webgpu-register.js');
    process.stdout.write(String(Boolean(tf.engine().registryFactory['webgpu'])));`;
  for (const install of [true, false]) {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script(install)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.stdout, String(install), run.stderr);
  }
});
