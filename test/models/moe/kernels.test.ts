import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D } from '../../../src/models/tf.js';
import { disposeRowIndex, makeRowIndex, scatterRows, selectRows } from '../../../src/models/kernels/row-select.js';
import { gatherSlots } from '../../../src/models/kernels/slot-gather.js';
import { geluExact } from '../../../src/models/kernels/gelu-exact.js';
import { logSumExpRows } from '../../../src/models/kernels/log-sum-exp.js';
import { concatRows, rowBlock } from '../../../src/models/kernels/row-blocks.js';
import { Rng } from '../../../src/base/random.js';

function rand(rng: Rng, shape: [number, number]): Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.next() * 2 - 1), shape);
}

/** Constant one-hot P [rows, m] with P[sel[i], i] = 1: select = Pᵀ·x, scatter = P·z. */
function placement(sel: Int32Array, rows: number): Tensor2D {
  const p = new Float32Array(rows * sel.length);
  sel.forEach((r, i) => { p[r * sel.length + i] = 1; });
  return tf.tensor2d(p, [rows, sel.length]);
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: size`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] selectRows and scatterRows have the gradients of their dense one-hot formulations`, async () => {
    await selectBackend(backend);
    const rng = new Rng(7);
    const rows = 9;
    const sel = Int32Array.from([4, 0, 7, 2, 8]); // rows 1, 3, 5, 6 unselected
    const x = rand(rng, [rows, 3]);
    const z = rand(rng, [sel.length, 3]);
    const wSel = rand(rng, [sel.length, 3]);
    const wSc = rand(rng, [rows, 3]);
    const p = placement(sel, rows);
    const ix = makeRowIndex(sel, rows);
    const [gx] = tf.grads((a) => tf.sum(tf.mul(selectRows(a as Tensor2D, ix), wSel)))([x]);
    const [rx] = tf.grads((a) => tf.sum(tf.mul(tf.matMul(tf.transpose(p), a as Tensor2D), wSel)))([x]);
    const [gz] = tf.grads((a) => tf.sum(tf.mul(scatterRows(a as Tensor2D, ix), wSc)))([z]);
    const [rz] = tf.grads((a) => tf.sum(tf.mul(tf.matMul(p, a as Tensor2D), wSc)))([z]);
    assertClose(selectRows(x, ix).dataSync(), tf.matMul(tf.transpose(p), x).dataSync(), 1e-6, 'select value');
    assertClose(scatterRows(z, ix).dataSync(), tf.matMul(p, z).dataSync(), 1e-6, 'scatter value');
    assertClose(gx!.dataSync(), rx!.dataSync(), 1e-6, 'select grad');
    assertClose(gz!.dataSync(), rz!.dataSync(), 1e-6, 'scatter grad');
    disposeRowIndex(ix);
  });

  test(`[${backend}] the index tensors may be disposed before the backward pass`, async () => {
    await selectBackend(backend);
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const [g] = tf.grads((a) => {
      const ix = makeRowIndex(Int32Array.from([2, 0]), 3);
      const y = selectRows(a as Tensor2D, ix);
      disposeRowIndex(ix);
      return tf.sum(tf.mul(y, tf.tensor2d([[1, 10], [100, 1000]])));
    })([x]);
    assert.deepEqual(Array.from(g!.dataSync()), [100, 1000, 0, 0, 1, 10]);
  });

  test(`[${backend}] gatherSlots matches Σ scores·one-hot in value and gradient, empty slots read 0`, async () => {
    await selectBackend(backend);
    const rng = new Rng(3);
    const n = 4, e = 5, k = 2;
    const s = rand(rng, [n, e]);
    const idx = Int32Array.from([3, 1, 0, 4, 2, -1, 4, 3]);
    const mask = new Float32Array(n * k * e);
    idx.forEach((j, i) => { if (j >= 0) mask[i * e + j] = 1; });
    const m = tf.tensor3d(mask, [n, k, e]);
    const w = rand(rng, [n, k]);
    const ref = (a: Tensor2D) => tf.sum(tf.mul(tf.expandDims(a, 1), m), 2) as Tensor2D;
    assertClose(gatherSlots(s, idx, k).dataSync(), ref(s).dataSync(), 1e-7, 'value');
    const [g] = tf.grads((a) => tf.sum(tf.mul(gatherSlots(a as Tensor2D, idx, k), w)))([s]);
    const [r] = tf.grads((a) => tf.sum(tf.mul(ref(a as Tensor2D), w)))([s]);
    assertClose(g!.dataSync(), r!.dataSync(), 1e-7, 'grad');
  });

  test(`[${backend}] geluExact is the erf GELU and its gradient matches finite differences`, async () => {
    await selectBackend(backend);
    // Reference values of 0.5·z·(1 + erf(z/√2)).
    const z = [-3, -1, -0.5, 0, 0.5, 1, 2.5];
    const want = [-0.0040496965, -0.15865525, -0.15426877, 0, 0.34573123, 0.84134475, 2.4844746];
    assertClose(geluExact(tf.tensor1d(z)).dataSync(), want, 2e-6, 'gelu');
    const [g] = tf.grads((a) => tf.sum(geluExact(a)))([tf.tensor1d(z)]);
    const h = 1e-2;
    const fd = z.map((v) => {
      const f = (u: number) => 0.5 * u * (1 + erfRef(u / Math.SQRT2));
      return (f(v + h) - f(v - h)) / (2 * h);
    });
    assertClose(g!.dataSync(), fd, 2e-4, 'gelu grad');
  });
}

/** erf in float64 (Abramowitz–Stegun 7.1.26 is too coarse for a reference; use a series). */
function erfRef(x: number): number {
  // Maclaurin series, converges fast for |x| ≤ 3.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 80; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;

}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] logSumExpRows equals tf.logSumExp bit for bit in value and gradient, ties included`, async () => {
    await selectBackend(backend);
    const rng = new Rng(11);
    const base = rand(rng, [6, 5]);
    // Row 2 has a tied maximum, row 4 is constant: the max gradient's mask must match tf's.
    const v = base.arraySync();
    v[2]![1] = v[2]![3] = 3;
    v[4] = [0.5, 0.5, 0.5, 0.5, 0.5];
    const x = tf.tensor2d(v);
    const w = tf.reshape(rand(rng, [6, 1]), [6]);
    const run = (lse: (t: Tensor2D) => tf.Tensor1D) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.square(lse(xv as unknown as Tensor2D)), w)) as tf.Scalar, [xv]);
      return { value: Array.from(value.dataSync()), grad: Array.from(grads[xv.name]!.dataSync()) };
    };
    const xv = tf.variable(x);
    const got = run(logSumExpRows);
    const want = run((t) => tf.logSumExp(t, 1) as tf.Tensor1D);
    assert.deepEqual(got, want);
    xv.dispose();
  });

  test(`[${backend}] rowBlock and concatRows move gradients back to the rows they came from`, async () => {
    await selectBackend(backend);
    const rng = new Rng(12);
    const x = tf.variable(rand(rng, [7, 3]));
    const r = rand(rng, [7, 3]);
    // Cut into blocks 2 | 4 | 1, scale each differently, join: d/dx = r times each block's scale.
    const { grads } = tf.variableGrads(() => {
      const xx = x as unknown as Tensor2D;
      const parts = [tf.mul(rowBlock(xx, 0, 2), 1), tf.mul(rowBlock(xx, 2, 4), 2), tf.mul(rowBlock(xx, 6, 1), 3)] as Tensor2D[];
      return tf.sum(tf.mul(concatRows(parts), r)) as tf.Scalar;
    }, [x]);
    const scale = tf.tensor2d([1, 1, 2, 2, 2, 2, 3], [7, 1]);
    assertClose(grads[x.name]!.dataSync(), tf.mul(r, scale).dataSync(), 0, 'dx');
    x.dispose();
  });
}
