import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D } from '../../../src/models/tf.js';
import { dispatch } from '../../../src/models/moe/dispatch.js';
import type { ExpertBank } from '../../../src/models/moe/experts/expert-bank.js';
import { Rng } from '../../../src/base/random.js';

const N = 6, D = 3, K = 2, E = 3;

function setup(seed: number) {
  const rng = new Rng(seed);
  const r = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const x = tf.tensor2d(r(N * D), [N, D]);
  const ws = Array.from({ length: E }, () => tf.tensor2d(r(D * D), [D, D]));
  const combine = tf.tensor2d(r(N * K), [N, K]);
  // Token 2's second slot computes nothing (e.g. a null slot); expert 1 gets 5 slots.
  const expertOf = Int32Array.from([1, 0, 1, 2, 1, -1, 0, 1, 2, 1, 1, 0]);
  return { x, ws, combine, expertOf };
}

/** Expert e = tanh(x·W_e): nonlinear, so a wrong row routing changes values and gradients. */
function bankOf(ws: Tensor2D[]): ExpertBank {
  return { size: ws.length, variables: new Map(), run: (e, rows) => tf.tanh(tf.matMul(rows, ws[e]!)) };
}

/** Dense reference: every expert on every token, masked by constant one-hots. */
function reference(x: Tensor2D, ws: Tensor2D[], combine: Tensor2D, expertOf: Int32Array, keep: (slot: number) => boolean): Tensor2D {
  let y = tf.zeros([N, D]) as Tensor2D;
  for (let k = 0; k < K; k++) {
    const wk = tf.slice(combine, [0, k], [N, 1]);
    for (let e = 0; e < E; e++) {
      const m = tf.tensor2d(Float32Array.from({ length: N }, (_, n) => (expertOf[n * K + k] === e && keep(n * K + k) ? 1 : 0)), [N, 1]);
      y = tf.add(y, tf.mul(tf.mul(m, wk), tf.tanh(tf.matMul(x, ws[e]!)))) as Tensor2D;
    }
  }
  return y;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] dropless dispatch equals the dense masked formulation in value and in every gradient`, async () => {
    await selectBackend(backend);
    const { x, ws, combine, expertOf } = setup(11);
    const r = tf.randomNormal([N, D], 0, 1, 'float32', 5);
    const f = (fn: (a: Tensor2D, c: Tensor2D, w: Tensor2D[]) => Tensor2D) => (a: tf.Tensor, c: tf.Tensor, ...w: tf.Tensor[]) =>
      tf.sum(tf.mul(fn(a as Tensor2D, c as Tensor2D, w as Tensor2D[]), r));
    const got = tf.grads(f((a, c, w) => dispatch(a, expertOf, K, c, bankOf(w)).y))([x, combine, ...ws]);
    const want = tf.grads(f((a, c, w) => reference(a, w, c, expertOf, () => true)))([x, combine, ...ws]);
    close(dispatch(x, expertOf, K, combine, bankOf(ws)).y.dataSync(), reference(x, ws, combine, expertOf, () => true).dataSync(), 'y');
    got.forEach((g, i) => close(g.dataSync(), want[i]!.dataSync(), `grad ${i}`));
  });

  test(`[${backend}] a capacity factor drops over-capacity slots in token order and counts them`, async () => {
    await selectBackend(backend);
    const { x, ws, combine, expertOf } = setup(12);
    // 11 valid slots, E = 3: capacity ceil(0.5·12/3) = 2 per expert; each expert keeps its
    // first two slots in (token, slot) order, e.g. expert 1 keeps slots 0 and 2 of 0, 2, 4, 7, 9, 10.
    const out = dispatch(x, expertOf, K, combine, bankOf(ws), 0.5);
    assert.deepEqual(Array.from(out.load), [2, 2, 2]);
    assert.equal(out.dropped, 11 - 6);
    const kept = new Set<number>();
    const seen = [0, 0, 0];
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
      const e = expertOf[n * K + k]!;
      if (e >= 0 && seen[e]! < 2) { seen[e]!++; kept.add(n * K + k); }
    }
    close(out.y.dataSync(), reference(x, ws, combine, expertOf, (s) => kept.has(s)).dataSync(), 'y with drops');
  });
}
