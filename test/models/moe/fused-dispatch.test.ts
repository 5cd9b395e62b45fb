import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D } from '../../../src/models/tf.js';
import { reluKvBank } from '../../../src/models/moe/experts/relu-kv/bank.js';
import { geluMlpBank } from '../../../src/models/moe/experts/gelu-mlp/bank.js';
import { runBank, type ExpertBank } from '../../../src/models/moe/experts/expert-bank.js';
import { combineRows, disposeDispatchPlan, gatherTokens, makeDispatchPlan } from '../../../src/models/kernels/dispatch-rows.js';
import { ParamFactory } from '../../../src/models/moe/init.js';

const N = 5;
const K = 3;
const D = 6;
const E = 4;
// (token, slot) → expert; −1 = a slot that computes nothing (null / dropped). Expert 1 gets no rows.
const EXPERT_OF = [0, 2, 3, 2, -1, 0, 3, 2, 0, 0, 2, -1, 3, 0, 2];

/** The counting sort dispatch does: rows in expert order. */
function plan() {
  const counts = new Int32Array(E);
  for (const e of EXPERT_OF) if (e >= 0) counts[e]! += 1;
  const fill = new Int32Array(E);
  for (let e = 1; e < E; e++) fill[e] = fill[e - 1]! + counts[e - 1]!;
  const m = counts.reduce((a, c) => a + c, 0);
  const token = new Int32Array(m);
  const slot = new Int32Array(m);
  EXPERT_OF.forEach((e, s) => {
    if (e < 0) return;
    const r = fill[e]!++;
    token[r] = Math.floor(s / K);
    slot[r] = s;
  });
  return { counts, p: makeDispatchPlan(N, K, token, slot) };
}

const BANKS: Record<string, () => ExpertBank> = {
  'relu-kv': () => reluKvBank(new ParamFactory(3, ''), E, D, 5),
  'gelu-mlp': () => geluMlpBank(new ParamFactory(3, ''), E, D, 5),
};

for (const backend of ['cpu', 'wasm'] as const) for (const [kind, makeBank] of Object.entries(BANKS)) {
  test(`[${backend}] the fused gather + ${kind} + combine op gives bit-identical outputs and gradients to the three separate ops, keeping less for backward`, async () => {
    await selectBackend(backend);
    const bank = makeBank();
    const vars = [...bank.variables.values()];
    const { counts, p } = plan();
    const run = (fused: boolean) => {
      const x = tf.tidy(() => tf.variable(tf.randomNormal([N, D], 0, 1.5, 'float32', 4)));
      const w = tf.tidy(() => tf.variable(tf.randomUniform([N, K], 0, 1, 'float32', 6)));
      const r = tf.randomNormal([N, D], 0, 1, 'float32', 5);
      let kept = 0;
      const { value, grads } = tf.variableGrads(() => {
        const m0 = tf.memory().numBytes;
        const y = fused
          ? bank.runDispatched!(x as unknown as Tensor2D, w as unknown as Tensor2D, p, counts)
          : combineRows(runBank({ ...bank, runDispatched: undefined }, gatherTokens(x as unknown as Tensor2D, p), counts), w as unknown as Tensor2D, p);
        kept = tf.memory().numBytes - m0;
        return tf.sum(tf.mul(y, r)) as tf.Scalar;
      }, [x, w, ...vars]);
      const out = [value, grads[x.name]!, grads[w.name]!, ...vars.map((v) => grads[v.name]!)].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, ...Object.values(grads), x, w, r]);
      return { out, kept };
    };
    const before = tf.memory().numTensors;
    const got = run(true);
    const want = run(false);
    assert.deepEqual(got.out, want.out);
    // What the forward leaves alive for backward: the fused op keeps none of the [M, D] rows.
    assert.ok(got.kept < want.kept, `fused keeps ${got.kept} bytes, separate ops ${want.kept}`);
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives the step');
    disposeDispatchPlan(p);
    for (const v of vars) v.dispose();
  });
}
