/**
 * The routing path of backends without synchronous read-back (webgpu; moe/routing-reads.ts:
 * probe the forward, reading each routing call's scores asynchronously, then replay it) gives
 * exactly what the synchronous path gives, for every router in the registry: the same
 * selections, outputs, aux losses, gradients and router state, bit for bit, over two training
 * calls (stateful routers update once per call, not once per probe). And it reads nothing
 * synchronously: it runs with dataSync/arraySync/bufferSync made to throw.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D, type Variable } from '../../../src/models/tf.js';
import { createMoeLayer, moeAlgorithms } from '../../../src/models/moe/registry.js';
import { forceAsyncRouting, withRoutingRead } from '../../../src/models/moe/routing-reads.js';
import type { MoeCallContext, MoeLayer } from '../../../src/models/moe/types.js';
import { withoutSyncReads } from '../../support/no-sync-reads.js';
import { smallLayerSpec } from './small-layer-spec.js';

interface Step {
  readonly selected: Int32Array;
  readonly k: number;
  /** y, auxTotal, then each gradient (x first, then the layer's variables in order). */
  readonly values: Float32Array[];
  readonly state: string;
  readonly params: Float32Array[];
}

/** One training call's forward+backward of sum(y·r) + aux_total, read asynchronously. */
async function step(layer: MoeLayer, x: Variable, r: tf.Tensor, ctx: MoeCallContext): Promise<Step> {
  const vars = [x, ...layer.variables.values()];
  let selected: Int32Array = new Int32Array(0);
  let k = 0;
  const kept: tf.Tensor[] = [];
  const { value, grads } = await withRoutingRead(() => layer.apply(x as unknown as Tensor3D, ctx), () => tf.variableGrads(() => {
    const out = layer.apply(x as unknown as Tensor3D, ctx);
    selected = out.selected;
    k = out.k;
    kept.push(tf.keep(out.y), tf.keep(out.auxTotal));
    return tf.add(tf.sum(tf.mul(out.y, r)), out.auxTotal) as tf.Scalar;
  }, vars));
  const tensors = [...kept, ...vars.map((v) => grads[v.name]!)];
  const values = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data() as Float32Array)));
  const params = await Promise.all([...layer.variables.values()].map(async (v) => Float32Array.from(await v.data() as Float32Array)));
  tf.dispose([value, ...tensors]);
  return { selected: Int32Array.from(selected), k, values, state: JSON.stringify(layer.state()), params };
}

async function twoSteps(name: string, asyncRouting: boolean): Promise<Step[]> {
  const layer = createMoeLayer(smallLayerSpec(name));
  const x = tf.variable(tf.randomNormal([2, 5, 8], 0, 1, 'float32', 9), true);
  const r = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 4);
  const run = async () => [await step(layer, x, r, { training: true, step: 0, totalSteps: 10 }), await step(layer, x, r, { training: true, step: 5, totalSteps: 10 })];
  forceAsyncRouting(asyncRouting);
  try {
    return asyncRouting ? await withoutSyncReads(run) : await run();
  } finally {
    forceAsyncRouting(false);
    tf.dispose([x, r]);
    layer.dispose();
  }
}

before(async () => {
  await selectBackend('wasm');
});
after(() => forceAsyncRouting(false));

test('every router: the async routing path gives the synchronous path\'s selections, outputs, gradients and state, bit for bit, with no sync read', async () => {
  for (const name of moeAlgorithms()) {
    const host = await twoSteps(name, false);
    const device = await twoSteps(name, true);
    host.forEach((h, i) => {
      const d = device[i]!;
      const at = `${name}, call ${i + 1}`;
      assert.equal(d.k, h.k, `${at}: K`);
      assert.deepEqual(d.selected, h.selected, `${at}: selected experts`);
      assert.equal(d.values.length, h.values.length, `${at}: tensors`);
      h.values.forEach((v, j) => assert.deepEqual(d.values[j], v, `${at}: ${j === 0 ? 'y' : j === 1 ? 'aux_total' : `gradient ${j - 2}`}`));
      assert.equal(d.state, h.state, `${at}: router state`);
      h.params.forEach((p, j) => assert.deepEqual(d.params[j], p, `${at}: parameter ${j} after the call`));
    });
  }
});

test('the synchronous routing path is caught by the no-sync-read guard (the check above can fail)', async () => {
  const layer = createMoeLayer(smallLayerSpec('smoe'));
  const x = tf.randomNormal([1, 3, 8], 0, 1, 'float32', 2) as Tensor3D;
  await assert.rejects(withoutSyncReads(() => tf.tidy(() => { layer.apply(x, { training: true, step: 0, totalSteps: 1 }); })), { name: 'ForbiddenSyncRead' });
  x.dispose();
  layer.dispose();
});

test('the probe leaves no tensor behind, and a replay that departs from the probed forward is refused', async () => {
  const layer = createMoeLayer(smallLayerSpec('moe_layer'));
  const x = tf.randomNormal([1, 4, 8], 0, 1, 'float32', 2) as Tensor3D;
  const wider = tf.randomNormal([1, 6, 8], 0, 1, 'float32', 2) as Tensor3D;
  const ctx = { training: false, step: 0, totalSteps: 1 };
  forceAsyncRouting(true);
  try {
    const before = tf.memory().numTensors;
    await withRoutingRead(() => layer.apply(x, ctx), () => tf.tidy(() => { layer.apply(x, ctx); }));
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(withRoutingRead(() => layer.apply(x, ctx), () => tf.tidy(() => { layer.apply(wider, ctx); })), /recorded scores hold 32 values, the replayed call has 48/);
  } finally {
    forceAsyncRouting(false);
    tf.dispose([x, wider]);
    layer.dispose();
  }
});
