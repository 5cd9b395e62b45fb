/**
 * The wasm backend's fast paths: ONNX Runtime's products (src/models/kernels/native-matmul.ts),
 * the batched attention and all-head RoPE they make worthwhile, and the heap-copying Sum and
 * GatherV2 kernels. Each is compared with what it replaces: the cpu backend's numbers (products,
 * within float32 rounding), or the stock/2-D path bit for bit where the arithmetic is the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { disableNativeMatMul, enableNativeMatMul, nativeMatMulCounts } from '../../src/models/kernels/native-matmul.js';
import { tf, type Tensor2D } from '../../src/models/tf.js';
import { applyRope, applyRopeAllHeads, headRopeTables, ropeTables } from '../../src/models/lm/rope.js';
import { causalMask, windowedSelfAttention, type AttentionConsts } from '../../src/models/lm/attention.js';
import { batchedSelfAttention } from '../../src/models/lm/batched-attention.js';
import { crossEntropy } from '../../src/models/lm/cross-entropy.js';

const choice = await selectBackend('wasm');
const native = await enableNativeMatMul(1);
const skipNative = typeof native === 'string' ? `onnxruntime-node unavailable: ${native}` : false;

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Largest |a − b| relative to max |b|. */
async function relError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  assert.equal(x.length, y.length);
  let err = 0, scale = 1e-30;
  for (let i = 0; i < x.length; i++) { err = Math.max(err, Math.abs(x[i]! - y[i]!)); scale = Math.max(scale, Math.abs(y[i]!)); }
  return err / scale;
}

async function sameBits(a: tf.Tensor, b: tf.Tensor): Promise<boolean> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]) || v === y[i]);
}

/** `f` on the cpu backend with copies of `inputs` (values read back, so nothing crosses backends). */
async function onCpu(inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor): Promise<{ shape: number[]; data: Float32Array }> {
  const values = await Promise.all(inputs.map(async (t) => ({ shape: t.shape, data: await t.data() as Float32Array })));
  await tf.setBackend('cpu');
  try {
    const out = f(...values.map((v) => tf.tensor(v.data, v.shape)));
    return { shape: out.shape, data: await out.data() as Float32Array };
  } finally {
    await tf.setBackend('wasm');
  }
}

test('the backend says which library multiplies matrices', { skip: skipNative }, () => {
  assert.match(choice.reason, /matMul by onnxruntime-node \(MLAS\) on 1 thread/);
});

test('products through ONNX Runtime equal the cpu backend\'s within float32 rounding: every transpose, batched, broadcast batches, ranks 2–4', { skip: skipNative }, async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 5], [5, 4], false, false], [[5, 3], [5, 4], true, false], [[3, 5], [4, 5], false, true], [[5, 3], [4, 5], true, true],
    [[6, 33, 17], [6, 17, 9], false, false], [[6, 17, 33], [6, 9, 17], true, true],
    [[1, 7, 5], [4, 5, 6], false, false], [[4, 7, 5], [5, 6], false, false], [[2, 3, 7, 5], [2, 3, 5, 4], false, false],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const a = seeded(sa, 1), b = seeded(sb, 2);
    const before = nativeMatMulCounts().native;
    const got = tf.matMul(a, b, ta, tb);
    assert.equal(nativeMatMulCounts().native, before + 1, `${sa}×${sb}: ONNX Runtime ran it`);
    const want = await onCpu([a, b], (x, y) => tf.matMul(x!, y!, ta, tb));
    assert.deepEqual(got.shape, want.shape);
    assert.ok(await relError(got, tf.tensor(want.data, want.shape)) < 1e-5, `${sa}${ta ? 'ᵀ' : ''} × ${sb}${tb ? 'ᵀ' : ''}`);
  }
});

test('int32 products, empty shapes and mismatched inner sizes go where tfjs sends them: the stock kernel, or the same error', { skip: skipNative }, async () => {
  const before = nativeMatMulCounts();
  // The stock wasm kernel's own refusal, as before.
  assert.throws(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor2d([[5], [6]], [2, 1], 'int32')), /non-float32/);
  assert.deepEqual(tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 4])).shape, [0, 4]);
  assert.equal(nativeMatMulCounts().stock, before.stock + 2);
  assert.throws(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 5])), /inner shapes/);
});

test('gradients through ONNX Runtime\'s products equal the cpu backend\'s', { skip: skipNative }, async () => {
  const a = seeded([9, 7], 3), b = seeded([7, 5], 4);
  const grads = (x: tf.Tensor, y: tf.Tensor) => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q))))([x, y]);
  const [ga, gb] = grads(a, b);
  const wantA = await onCpu([a, b], (x, y) => grads(x!, y!)[0]!);
  const wantB = await onCpu([a, b], (x, y) => grads(x!, y!)[1]!);
  assert.ok(await relError(ga!, tf.tensor(wantA.data, wantA.shape)) < 1e-5);
  assert.ok(await relError(gb!, tf.tensor(wantB.data, wantB.shape)) < 1e-5);
});

test('RoPE on all heads at once gives applyRope\'s numbers bit for bit, rotating all or part of each head', async () => {
  for (const [headDim, nRotate] of [[32, 32], [32, 16], [16, 8]]) {
    const B = 2, T = 5, H = 3;
    const x = seeded([B * T, H * headDim], 5) as Tensor2D;
    const { cos, sin } = ropeTables(B, T, nRotate, 10000);
    const tables = headRopeTables(B * T, (r) => r % T, nRotate, headDim, H, 10000);
    const all = applyRopeAllHeads(x, tables, H, headDim);
    const perHead = tf.concat((tf.split(x, H, 1) as Tensor2D[]).map((h) => applyRope(h, cos, sin, nRotate)), 1);
    assert.ok(await sameBits(all, perHead), `hd ${headDim}, rotating ${nRotate}`);
  }
});

test('batched attention computes what the 2-D windowed form computes (values and gradients), causal and with per-window masks', { skip: skipNative }, async () => {
  const B = 3, T = 6, H = 2, hd = 8, D = 16;
  const x = seeded([B * T, D], 6) as Tensor2D;
  const w = { qkv: seeded([D, 3 * H * hd], 7), out: seeded([H * hd, D], 8) };
  const { cos, sin } = ropeTables(B, T, hd, 10000);
  const causal: AttentionConsts = { cos, sin, causalMask: causalMask(T), nRotate: hd, headRope: headRopeTables(B * T, (r) => r % T, hd, hd, H, 10000) };
  const windows = Array.from({ length: B }, (_, b) => tf.tensor2d(Array.from({ length: T * T }, (_, i) => ((i % T) <= Math.floor(i / T) - (b % 2) || i % (T + 1) === 0 ? 0 : -1e9)), [T, T]));
  const windowed: AttentionConsts = { ...causal, windowMasks: windows };
  for (const [label, c] of [['causal', causal], ['per-window masks', windowed]] as const) {
    const f = (attend: typeof windowedSelfAttention) => (xx: tf.Tensor, q: tf.Tensor, o: tf.Tensor) => tf.sum(tf.square(attend(xx as Tensor2D, { qkv: q, out: o }, c, B, T, H, hd)));
    const value = (attend: typeof windowedSelfAttention) => attend(x, w, c, B, T, H, hd);
    assert.ok(await relError(value(batchedSelfAttention), value(windowedSelfAttention)) < 1e-5, `${label}: values`);
    const g1 = tf.grads(f(batchedSelfAttention))([x, w.qkv, w.out]);
    const g2 = tf.grads(f(windowedSelfAttention))([x, w.qkv, w.out]);
    for (let i = 0; i < 3; i++) assert.ok(await relError(g1[i]!, g2[i]!) < 1e-4, `${label}: gradient ${i}`);
  }
});

test('summing a float32 tensor over its leading axes gives the stock kernel\'s bits (which transposes first), keepDims or not', async () => {
  for (const [shape, axes, keep] of [[[1024, 128], [0], false], [[8, 16, 24], [0, 1], true], [[37, 5], [0], true], [[3, 4, 5], [0], false]] as const) {
    const x = seeded([...shape], 9);
    const rest = shape.map((_, i) => i).filter((i) => !(axes as readonly number[]).includes(i));
    // The stock route: move the summed axes innermost, then a last-axes sum (what the stock kernel does).
    const stock = tf.sum(tf.transpose(x, [...rest, ...axes]), axes.map((_, i) => rest.length + i), false);
    const got = tf.sum(x, [...axes], keep);
    assert.deepEqual(got.shape, keep ? shape.map((s, i) => ((axes as readonly number[]).includes(i) ? 1 : s)) : rest.map((i) => shape[i]!));
    assert.ok(await sameBits(got, stock), `${shape} over ${axes}`);
  }
});

test('gather copies rows, columns and elements as the cpu backend does; an index out of range is an error naming it', async () => {
  const x = tf.tensor(Array.from({ length: 4 * 5 * 6 }, (_, i) => i * 0.5 - 7), [4, 5, 6]);
  for (const [axis, idx] of [[0, [3, 0, 3, 1]], [1, [4, 2]], [2, [5, 0, 1, 5, 2]], [0, [[1, 2], [0, 3]]]] as const) {
    const indices = tf.tensor(idx as never, undefined, 'int32');
    const got = tf.gather(x, indices, axis);
    const want = await onCpu([x], (v) => tf.gather(v!, tf.tensor(idx as never, undefined, 'int32'), axis));
    assert.deepEqual(got.shape, want.shape);
    assert.deepEqual(await got.data(), want.data, `axis ${axis}, indices ${JSON.stringify(idx)}`);
  }
  const ints = tf.gather(tf.tensor1d([10, 20, 30], 'int32'), tf.tensor1d([2, 2, 0], 'int32'));
  assert.deepEqual(await ints.data(), Int32Array.from([30, 30, 10]));
  assert.throws(() => tf.gather(x, tf.tensor1d([1, 4], 'int32'), 0), /index value 4 \(position 1\) is not in \[0, 3\]/);
});

test('cross-entropy from the softmax\'s largest entry equals logsumexp − picked logit', async () => {
  const logits = tf.mul(seeded([64, 300], 10), 8) as Tensor2D;
  const targets = tf.tensor1d(Array.from({ length: 64 }, (_, i) => (i * 37) % 300), 'int32');
  const got = (await crossEntropy(logits, targets).data())[0]!;
  const rows = await logits.array() as number[][];
  let want = 0;
  rows.forEach((row, i) => {
    const m = Math.max(...row);
    want += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[(i * 37) % 300]!;
  });
  assert.ok(Math.abs(got - want / 64) < 1e-5 * Math.abs(want / 64), `${got} vs ${want / 64}`);
});

test('matmul "xnnpack" puts tfjs-wasm\'s own kernel back; an unknown MOEFLOW_MATMUL is refused naming the choices', { skip: skipNative }, async () => {
  const before = nativeMatMulCounts().native;
  disableNativeMatMul();
  tf.matMul(seeded([4, 4], 1), seeded([4, 4], 2));
  assert.equal(nativeMatMulCounts().native, before);
  process.env['MOEFLOW_MATMUL'] = 'blas';
  await assert.rejects(selectBackend('wasm'), /MOEFLOW_MATMUL: expected one of auto, onnxruntime, xnnpack, got "blas"/);
  delete process.env['MOEFLOW_MATMUL'];
  const back = await selectBackend('wasm', { matmul: 'xnnpack' });
  assert.doesNotMatch(back.reason, /onnxruntime/);
});
