import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';
import { createMoeLayer, moeAlgorithms } from '../../../src/models/moe/registry.js';
import { Mlp2xGeluProjector } from '../../../src/models/vlm/projector/mlp2x-gelu.js';
import { MoeProjector } from '../../../src/models/vlm/projector/moe-projector.js';
import type { ProjectorDims } from '../../../src/models/vlm/projector/dims.js';

// SigLIP features at scales 1 and 3 (2·6 channels) into a 10-wide language model.
const DIMS: ProjectorDims = { mmHidden: 6, scales: [1, 3], llmHidden: 10 };
const CTX = { training: true, step: 1, totalSteps: 10 };
const features = (): Tensor3D => tf.randomNormal([2, 4, 12], 0, 1, 'float32', 5) as Tensor3D;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('the dense projector maps mm_hidden·len(scales) channels to the LLM width under mm_projector.bin names', async () => {
  await selectBackend('cpu');
  const p = new Mlp2xGeluProjector(DIMS, 1);
  assert.deepEqual([...p.variables.keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
  assert.deepEqual(p.variables.get('0.weight')!.shape, [10, 12]);
  const x = features();
  const y = tf.tidy(() => p.apply(x).y.shape);
  assert.deepEqual(y, [2, 4, 10]);
  x.dispose();
  p.dispose();
});

test('the MoE projector upcycled from the dense projector computes the dense projector (identical experts, weights summing to 1)', async () => {
  await selectBackend('cpu');
  const dense = new Mlp2xGeluProjector(DIMS, 2);
  const moe = MoeProjector.upcycle({ dims: DIMS, algorithm: 'smoe', nExperts: 4, topK: 2, seed: 3 }, dense.weights());
  const x = features();
  const [want, got] = tf.tidy(() => [dense.apply(x).y.dataSync(), moe.apply(x, CTX).y.dataSync()]);
  assert.ok(maxAbsDiff(got!, want!) < 1e-5, `max |Δ| ${maxAbsDiff(got!, want!)}`);
  assert.ok([...moe.variables.keys()].every((k) => k.startsWith('moelayer.')), 'LibMoE names moelayer.*');
  assert.deepEqual(moe.variables.get('moelayer.experts.3.0.weight')!.shape, [10, 12], 'experts map in ≠ out');
  x.dispose();
  dense.dispose();
  moe.dispose();
});

test('the MoE projector reports LibMoE\'s losses and its logged copies (reported_*)', async () => {
  await selectBackend('cpu');
  const moe = MoeProjector.create({ dims: DIMS, algorithm: 'smoe', nExperts: 4, topK: 2, seed: 3 });
  const x = features();
  const aux = tf.tidy(() => Object.fromEntries(Object.entries(moe.apply(x, CTX).aux).map(([k, v]) => [k, v.dataSync()[0]!])));
  assert.deepEqual(Object.keys(aux).sort(), ['aux_total', 'balance_loss', 'reported_balance_loss', 'reported_router_z_loss', 'router_z_loss']);
  assert.equal(aux['reported_balance_loss'], aux['balance_loss']);
  assert.ok(Math.abs(aux['aux_total']! - (0.01 * aux['balance_loss']! + 0.001 * aux['router_z_loss']!)) < 1e-7);
  x.dispose();
  moe.dispose();
});

test('every VLM router of the registry can route the MoE projector, except MoE++ whose copy expert cannot change width', async () => {
  await selectBackend('cpu');
  const x = features();
  for (const algorithm of moeAlgorithms().filter((a) => !a.startsWith('moe_layer'))) {
    if (algorithm === 'smoe_plus_plus') {
      const live = tf.memory().numTensors;
      assert.throws(() => MoeProjector.create({ dims: DIMS, algorithm, nExperts: 4, topK: 2, seed: 1 }), /special experts map D → D/);
      assert.equal(tf.memory().numTensors, live, 'nothing left behind by the refusal');
      continue;
    }
    const moe = MoeProjector.create({ dims: DIMS, algorithm, nExperts: 4, topK: 2, seed: 1 });
    const { value, grads } = tf.variableGrads(() => {
      const out = moe.apply(x, CTX);
      assert.deepEqual(out.y.shape, [2, 4, 10], algorithm);
      return tf.add(tf.sum(out.y), out.auxTotal) as tf.Scalar;
    }, [...moe.variables.values()]);
    assert.ok(Number.isFinite(value.dataSync()[0]!), `${algorithm}: finite objective`);
    for (const g of Object.values(grads)) assert.ok(g.dataSync().every(Number.isFinite), `${algorithm}: finite gradients`);
    tf.dispose([value, ...Object.values(grads)]);
    moe.dispose();
  }
  x.dispose();
});

test('σ-MoE key/value experts refuse an output width other than their input width', async () => {
  await selectBackend('cpu');
  assert.throws(() => createMoeLayer({ algorithm: 'moe_layer', dModel: 8, dOut: 10, nExperts: 4, topK: 2, expert: { kind: 'relu-kv', size: 4 }, seed: 1 }), /relu-kv experts map D → D/);
});
