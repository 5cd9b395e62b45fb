import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D } from '../../../src/models/tf.js';
import { reluKvBank } from '../../../src/models/moe/experts/relu-kv/bank.js';
import { geluMlpBank } from '../../../src/models/moe/experts/gelu-mlp/bank.js';
import { joinBanks, runBank, type ExpertBank } from '../../../src/models/moe/experts/expert-bank.js';
import { copyExpertBank } from '../../../src/models/moe/routers/special-experts/copy-expert.js';
import { constantExpertBank } from '../../../src/models/moe/routers/special-experts/constant-expert.js';
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
  vars.forEach((v, i) => {
    // The per-expert path gives no gradient to an unused expert; the grouped op gives zeros.
    const none = new Float32Array(v.size);
    close(got.g[i] ?? none, want.g[i] ?? none, `grad ${v.name}`);
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

  test(`[${backend}] a joined bank (MoE++: FFNs, copy, constant) runs its parts block-wise and equals the per-expert path`, async () => {
    await selectBackend(backend);
    const pf = new ParamFactory(3, '');
    const bank = joinBanks(geluMlpBank(pf, 2, D, 7), copyExpertBank(1), constantExpertBank(pf, 3, D));
    check(bank);
    for (const v of bank.variables.values()) v.dispose();
  });

  test(`[${backend}] runBank without a grouped op runs expert by expert, equal to the per-expert path`, async () => {
    await selectBackend(backend);
    const inner = geluMlpBank(new ParamFactory(4, ''), 4, D, 5);
    const bank: ExpertBank = { size: inner.size, variables: inner.variables, run: inner.run, runGrouped: (rows, counts) => runBank({ size: inner.size, variables: inner.variables, run: inner.run }, rows, counts) };
    check(bank);
    for (const v of bank.variables.values()) v.dispose();
  });
}
