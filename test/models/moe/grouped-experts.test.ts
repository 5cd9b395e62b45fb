import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D } from '../../../src/models/tf.js';
import { reluKvBank } from '../../../src/models/moe/experts/relu-kv.js';
import { geluMlpBank } from '../../../src/models/moe/experts/gelu-mlp.js';
import type { ExpertBank } from '../../../src/models/moe/experts/expert-bank.js';
import { ParamFactory } from '../../../src/models/moe/init.js';

const D = 6;
const COUNTS = Int32Array.from([3, 0, 4, 1]); // expert 1 gets no rows

/** Reference: the bank's own per-expert `run` on each block, concatenated. */
function perExpert(bank: ExpertBank, rows: Tensor2D): Tensor2D {
  const outs: Tensor2D[] = [];
  let start = 0;
  COUNTS.forEach((c, e) => {
    if (c > 0) outs.push(bank.run(e, tf.slice(rows, [start, 0], [c, D])));
    start += c;
  });
  return tf.concat(outs, 0);
}

function check(bank: ExpertBank): void {
  const rows = tf.randomNormal([8, D], 0, 1.5, 'float32', 4) as Tensor2D;
  const r = tf.randomNormal([8, D], 0, 1, 'float32', 5);
  const vars = [...bank.variables.values()];
  const run = (f: (x: Tensor2D) => Tensor2D) => {
    const x = tf.variable(rows);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x as unknown as Tensor2D), r)) as tf.Scalar, [x, ...vars]);
    const out = { value: value.dataSync()[0]!, dx: grads[x.name]!.dataSync(), g: vars.map((v) => grads[v.name]?.dataSync()) };
    x.dispose();
    return out;
  };
  const got = run((x) => bank.runGrouped!(x, COUNTS));
  const want = run((x) => perExpert(bank, x));
  assert.ok(Math.abs(got.value - want.value) < 1e-4 * Math.max(1, Math.abs(want.value)), `value ${got.value} vs ${want.value}`);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
    for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  };
  close(got.dx, want.dx, 'dx');
  got.g.forEach((g, i) => {
    // The per-expert path gives no gradient to an unused expert; the grouped op gives zeros.
    const w = want.g[i] ?? new Float32Array(g!.length);
    close(g!, w, `grad ${vars[i]!.name}`);
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] the grouped relu-kv op equals the per-expert path in value and gradients`, async () => {
    await selectBackend(backend);
    const bank = reluKvBank(new ParamFactory(2, ''), 4, D, 5);
    check(bank);
    for (const v of bank.variables.values()) v.dispose();
  });

  test(`[${backend}] the grouped gelu-mlp op equals the per-expert path in value and gradients`, async () => {
    await selectBackend(backend);
    const bank = geluMlpBank(new ParamFactory(2, ''), 4, D, 7);
    check(bank);
    for (const v of bank.variables.values()) v.dispose();
  });
}
