import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';

test('on wasm a clone (what tfjs saves for backward) shares its data instead of copying it', async () => {
  await selectBackend('wasm');
  const x = tf.tensor1d([1, 2, 3]);
  const before = tf.memory().numBytes;
  const y = tf.clone(x);
  assert.equal((tf.backend() as unknown as { refCount(id: object): number }).refCount(x.dataId), 2);
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3], 'the clone outlives the original');
  y.dispose();
  assert.ok(tf.memory().numBytes <= before, 'nothing leaked');
});

test('a variable assigned after a clone was taken leaves the clone unchanged', async () => {
  await selectBackend('wasm');
  const v = tf.variable(tf.tensor1d([1, 2]));
  const saved = tf.clone(v);
  v.assign(tf.tensor1d([5, 6]));
  assert.deepEqual(Array.from(await saved.data()), [1, 2]);
  assert.deepEqual(Array.from(await v.data()), [5, 6]);
  tf.dispose([v, saved]);
});
