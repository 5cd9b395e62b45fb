/**
 * Evaluation changes nothing: a forward with `training: false` leaves every router's state
 * (DeepSeek's aux-free bias, ReMoE's λ) and every parameter (X-MoE's expert embeddings, which
 * training renormalises in place) exactly as they were, and is repeatable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';
import { createMoeLayer, moeAlgorithms } from '../../../src/models/moe/registry.js';
import type { MoeLayer } from '../../../src/models/moe/types.js';
import { smallLayerSpec } from './small-layer-spec.js';

function snapshot(layer: MoeLayer): { state: string; params: Map<string, Float32Array> } {
  return {
    state: JSON.stringify(layer.state()),
    params: new Map([...layer.variables].map(([k, v]) => [k, v.dataSync() as Float32Array])),
  };
}

const input = () => tf.randomNormal([2, 5, 8], 0, 1, 'float32', 9) as Tensor3D;
const EVAL = { training: false, step: 5, totalSteps: 10 };

test('an eval forward leaves every router\'s state and parameters as they were, and repeats exactly', async () => {
  await selectBackend('wasm');
  for (const name of moeAlgorithms()) {
    const layer = createMoeLayer(smallLayerSpec(name));
    const x = input();
    const before = snapshot(layer);
    const y1 = tf.tidy(() => layer.apply(x, EVAL).y.dataSync());
    const y2 = tf.tidy(() => layer.apply(x, EVAL).y.dataSync());
    const after = snapshot(layer);
    assert.equal(after.state, before.state, `${name}: state changed by evaluation`);
    for (const [k, v] of before.params) assert.deepEqual(after.params.get(k), v, `${name}: parameter ${k} changed by evaluation`);
    assert.deepEqual(y2, y1, `${name}: a second eval forward differs from the first`);
    x.dispose();
    layer.dispose();
  }
});

test('training forwards still update the DeepSeek aux-free bias and renormalise the X-MoE embeddings (LibMoE)', async () => {
  await selectBackend('wasm');
  for (const [name, changed] of [['moe_layer_deepseekv2', 'state'], ['moe_layer_xmoe', 'expert_embeddings'], ['xmoe', 'expert_embeddings']] as const) {
    const layer = createMoeLayer(smallLayerSpec(name));
    const x = input();
    const before = snapshot(layer);
    tf.tidy(() => { layer.apply(x, { ...EVAL, training: true }); });
    const after = snapshot(layer);
    if (changed === 'state') assert.notEqual(after.state, before.state, `${name}: bias not updated in training`);
    else assert.notDeepEqual(after.params.get(changed), before.params.get(changed), `${name}: embeddings not renormalised in training`);
    x.dispose();
    layer.dispose();
  }
});

test('X-MoE scores the same in eval whether or not training renormalised the embeddings first', async () => {
  await selectBackend('wasm');
  for (const name of ['moe_layer_xmoe', 'xmoe']) {
    const fresh = createMoeLayer(smallLayerSpec(name));
    const trained = createMoeLayer(smallLayerSpec(name));
    const x = input();
    tf.tidy(() => { trained.apply(x, { ...EVAL, training: true }); }); // writes ê into the variable
    const a = tf.tidy(() => fresh.apply(x, EVAL).y.dataSync());
    const b = tf.tidy(() => trained.apply(x, EVAL).y.dataSync());
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `${name}: output ${i}: ${v} vs ${b[i]}`));
    x.dispose();
    fresh.dispose();
    trained.dispose();
  }
});
