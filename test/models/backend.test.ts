import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';

async function installed(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

test('an explicit "wasm" request starts the wasm backend and says so', async () => {
  const c = await selectBackend('wasm');
  assert.equal(c.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(c.reason, /requested/);
});

test('an explicit "cpu" request starts cpu without printing the "install tfjs-node" banner', async () => {
  const warned: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void warned.push(a.join(' '));
  try {
    const c = await selectBackend('cpu');
    assert.equal(c.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    const t = tf.tensor1d([1, 2, 3]);
    assert.deepEqual(await tf.add(t, t).data(), new Float32Array([2, 4, 6]));
  } finally {
    console.warn = orig;
  }
  assert.deepEqual(warned.filter((w) => /tfjs-node/.test(w)), []);
});

test('an explicit "webgpu" request without a GPU adapter fails with the reason', async (t) => {
  if (tf.findBackend('webgpu') !== null) return t.skip('a WebGPU backend is registered here');
  await assert.rejects(selectBackend('webgpu'), /backend "webgpu" could not start: (no WebGPU adapter|optional package "webgpu" not installed)/);
});

test('an explicit "tensorflow" request without tfjs-node fails naming the missing packages', async (t) => {
  if ((await installed('@tensorflow/tfjs-node')) || (await installed('@tensorflow/tfjs-node-gpu'))) return t.skip('tfjs-node is installed here');
  await assert.rejects(selectBackend('tensorflow'), /@tensorflow\/tfjs-node-gpu not installed; @tensorflow\/tfjs-node not installed/);
});

test('"auto" on a machine without native TensorFlow or a GPU falls through to wasm, reporting each skip', async (t) => {
  if ((await installed('@tensorflow/tfjs-node')) || (await installed('@tensorflow/tfjs-node-gpu'))) return t.skip('tfjs-node is installed here');
  const c = await selectBackend('auto');
  if (c.name === 'webgpu') return t.skip('this machine has a WebGPU adapter');
  assert.equal(c.name, 'wasm');
  assert.deepEqual(c.skipped.map((s) => s.name), ['tensorflow', 'webgpu']);
  assert.match(c.reason, /^auto: .*skipped tensorflow: .*not installed.*; webgpu: /);
});
