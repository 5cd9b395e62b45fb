import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf, type Variable } from '../../src/models/tf.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { crossEntropy } from '../../src/models/lm/cross-entropy.js';
import { splitBatch } from '../../src/models/lm/micro-batch.js';
import { referenceLoss, type Params64 } from './lm-reference.js';
import { TINY_DENSE, tinyBatch } from './lm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

async function toParams64(model: TransformerLM): Promise<Params64> {
  const out: Params64 = new Map();
  for (const [name, v] of model.params) out.set(name, { data: Float64Array.from(await v.data()), shape: v.shape });
  return out;
}

for (const B of [1, 3]) {
  test(`the tfjs LM loss equals an independent float64 implementation (B=${B}; embedding, RoPE on part of each head, LayerNorm, FFN, CE)`, async () => {
    const model = new TransformerLM({ ...TINY_DENSE, headDim: 6, ropeFraction: 0.7 });
    const [mb] = splitBatch(tinyBatch(B, 5, TINY_DENSE.vocabSize, B), 1);
    const loss = tf.tidy(() => crossEntropy(model.forward(tf.tensor1d(mb!.inputs, 'int32'), B, 5, { training: false, step: 0, totalSteps: 1 }).logits, tf.tensor1d(mb!.targets, 'int32')));
    const got = (await loss.data())[0]!;
    const ref = referenceLoss(model.config, await toParams64(model), mb!.inputs, mb!.targets, B, 5);
    assert.ok(Math.abs(got - ref) < 1e-5 * Math.abs(ref), `tfjs ${got} vs float64 ${ref}`);
    loss.dispose();
    model.dispose();
  });
}

test('every gradient element of the tiny LM matches float64 central differences', async () => {
  const model = new TransformerLM(TINY_DENSE);
  const B = 2, T = 5;
  const [mb] = splitBatch(tinyBatch(B, T, TINY_DENSE.vocabSize, 3), 1);
  const names = [...model.params.keys()];
  const { value, grads } = tf.variableGrads(() => {
    const fwd = model.forward(tf.tensor1d(mb!.inputs, 'int32'), B, T, { training: true, step: 0, totalSteps: 1 });
    return crossEntropy(fwd.logits, tf.tensor1d(mb!.targets, 'int32'));
  }, names.map((n) => model.params.get(n)!) as Variable[]);
  value.dispose();
  const P = await toParams64(model);
  const h = 1e-6;
  for (const name of names) {
    const g = await grads[model.params.get(name)!.name]!.data();
    const p = P.get(name)!.data;
    const ref = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const x = p[i]!;
      p[i] = x + h;
      const up = referenceLoss(model.config, P, mb!.inputs, mb!.targets, B, T);
      p[i] = x - h;
      const down = referenceLoss(model.config, P, mb!.inputs, mb!.targets, B, T);
      p[i] = x;
      ref[i] = (up - down) / (2 * h);
    }
    const scale = Math.max(...ref.map(Math.abs));
    assert.ok(scale > 0, `${name}: reference gradient is all zero`);
    for (let i = 0; i < p.length; i++) {
      assert.ok(Math.abs(g[i]! - ref[i]!) <= 2e-3 * scale + 1e-6, `${name}[${i}]: tfjs ${g[i]} vs central difference ${ref[i]} (scale ${scale})`);
    }
  }
  tf.dispose(Object.values(grads));
  model.dispose();
});
