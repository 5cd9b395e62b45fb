/**
 * The wasm Slice/SplitV kernels that read from a heap view (src/models/kernels/wasm-slice.ts)
 * give what the cpu backend gives, for every rank, dtype and kind of slice the models use,
 * and keep giving it when an allocation grows the wasm heap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';

type Case = { name: string; run: () => tf.Tensor | tf.Tensor[] };

function ramp(shape: number[], dtype: 'float32' | 'int32' | 'bool'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i * 7 - 50 : i * 0.25 - 3));
  return tf.tensor(v as never, shape, dtype);
}

const CASES: Case[] = [
  { name: '2-D column split (attention heads)', run: () => tf.split(ramp([6, 12], 'float32'), 3, 1) },
  { name: '2-D uneven column split (RoPE halves and rest)', run: () => tf.split(ramp([5, 10], 'float32'), [3, 3, 4], 1) },
  { name: '2-D row split (windows)', run: () => tf.split(ramp([8, 5], 'float32'), 4, 0) },
  { name: '2-D slice in the middle', run: () => tf.slice(ramp([7, 9], 'float32'), [2, 3], [4, 5]) },
  { name: '3-D slice on the middle axis', run: () => tf.slice(ramp([3, 4, 5], 'float32'), [1, 1, 0], [2, 2, 5]) },
  { name: '3-D slice on every axis', run: () => tf.slice(ramp([3, 4, 5], 'float32'), [0, 1, 2], [3, 3, 2]) },
  { name: '4-D split on axis 2', run: () => tf.split(ramp([2, 3, 4, 3], 'float32'), 2, 2) },
  { name: 'int32 column slice', run: () => tf.slice(ramp([4, 6], 'int32'), [0, 2], [4, 3]) },
  { name: 'bool split', run: () => tf.split(ramp([4, 6], 'bool'), 2, 1) },
  { name: '1-D slice and size -1', run: () => tf.slice(ramp([10], 'float32'), [3], [-1]) },
  { name: 'empty piece', run: () => tf.split(ramp([3, 4], 'float32'), [0, 4], 1) },
];

async function values(make: () => tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; data: number[] }[]> {
  const out = make();
  const list = Array.isArray(out) ? out : [out];
  const got = await Promise.all(list.map(async (t) => ({ shape: t.shape, data: Array.from(await t.data()) as number[] })));
  tf.dispose(list);
  return got;
}

test('wasm slices and splits equal the cpu backend for every rank, dtype and slice kind', async () => {
  await selectBackend('cpu');
  const want = [];
  for (const c of CASES) want.push(await values(c.run));
  await selectBackend('wasm');
  for (const [i, c] of CASES.entries()) assert.deepEqual(await values(c.run), want[i], c.name);
});

test('a split that grows the wasm heap still reads the right values', async () => {
  await selectBackend('wasm');
  const x = ramp([256, 1024], 'float32');
  const expected = Array.from(await x.data()).filter((_, i) => i % 1024 >= 512);
  // Many large outputs in one call: later allocations may replace the heap buffer.
  const pieces = tf.split(tf.tile(x, [4, 1]), 2, 1);
  const right = Array.from(await pieces[1]!.data()).slice(0, 256 * 512);
  assert.deepEqual(right, expected);
  tf.dispose([x, ...pieces]);
});

test('the gradient of a column split still flows (concat of the pieces’ gradients)', async () => {
  await selectBackend('wasm');
  const x = ramp([3, 4], 'float32');
  const g = tf.grad((t: tf.Tensor) => { const [a, b] = tf.split(t, 2, 1); return tf.sum(tf.add(tf.mul(a!, 2), tf.mul(b!, 3))); })(x);
  assert.deepEqual(Array.from(await g.data()), [2, 2, 3, 3, 2, 2, 3, 3, 2, 2, 3, 3]);
  tf.dispose([x, g]);
});
