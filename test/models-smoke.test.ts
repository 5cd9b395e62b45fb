import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../src/models/backend.js';
import { tf } from '../src/models/tf.js';
import { matMul2D } from '../src/models/kernels/fast-matmul.js';

test('wasm starts offline and matMul2D has the gradient of a plain matMul', async () => {
  const choice = await selectBackend('wasm');
  assert.equal(choice.name, 'wasm');
  const a = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
  const b = tf.tensor2d([[1, 0, 2], [0, 1, -1]]);
  const [ga, gb] = tf.grads((x, y) => tf.sum(matMul2D(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
  const [ra, rb] = tf.grads((x, y) => tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
  assert.deepEqual(await ga!.array(), await ra!.array());
  assert.deepEqual(await gb!.array(), await rb!.array());
});
