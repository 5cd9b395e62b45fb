/**
 * DropTop-n (expert ablation): each token's first n picks compute nothing, the rest keep their
 * gate weights. Known answers on a σ-MoE layer: y = Σ_{slots i ≥ n} w_i · relu(x·K_e)·V_e, so
 * dropping every pick leaves zero, and routing is that of the intact layer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectBackend } from '../../../src/models/backend.js';
import { createMoeLayer } from '../../../src/models/moe/registry.js';
import type { MoeCallContext, MoeLayerSpec } from '../../../src/models/moe/types.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';

const E = 4, D = 6, S = 5, K = 2, N = 7;
const SPEC: MoeLayerSpec = { algorithm: 'moe_layer', dModel: D, nExperts: E, topK: K, expert: { kind: 'relu-kv', size: S }, seed: 11, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } };
const EVAL: MoeCallContext = { training: false, step: 0, totalSteps: 1 };

function input(): Float32Array {
  return Float32Array.from({ length: N * D }, (_, i) => Math.sin(1.3 * i + 0.2));
}

async function run(dropTop: number | undefined): Promise<{ y: Float32Array; selected: Int32Array; gates: Float32Array }> {
  const layer = createMoeLayer(SPEC);
  try { return await run2(layer, dropTop); } finally { layer.dispose(); }
}

async function run2(layer: ReturnType<typeof createMoeLayer>, dropTop: number | undefined): Promise<{ y: Float32Array; selected: Int32Array; gates: Float32Array }> {
  const [y, gates, selected] = tf.tidy(() => {
    const out = layer.apply(tf.tensor3d(input(), [1, N, D]) as Tensor3D, { ...EVAL, ...(dropTop === undefined ? {} : { dropTop }) });
    return [out.y, out.gates, tf.tensor1d(out.selected, 'int32')];
  });
  const r = { y: (await y.data()) as Float32Array, gates: (await gates.data()) as Float32Array, selected: (await selected.data()) as Int32Array };
  tf.dispose([y, gates, selected]);
  return r;
}

/** y[n] = Σ over the slots i ≥ from of w[n,i]·relu(x_n·K_e)·V_e, in float64 from the layer's own weights. */
async function reference(layer: ReturnType<typeof createMoeLayer>, selected: Int32Array, gates: Float32Array, from: number): Promise<Float64Array> {
  const keys = await [...layer.variables.entries()].find(([n]) => n.endsWith('keys'))![1].data();
  const values = await [...layer.variables.entries()].find(([n]) => n.endsWith('values'))![1].data();
  const x = input();
  const y = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    for (let i = from; i < K; i++) {
      const e = selected[n * K + i]!;
      for (let s = 0; s < S; s++) {
        let h = 0;
        for (let d = 0; d < D; d++) h += x[n * D + d]! * keys[e * D * S + d * S + s]!;
        if (h <= 0) continue;
        for (let d = 0; d < D; d++) y[n * D + d]! += gates[n * K + i]! * h * values[e * S * D + s * D + d]!;
      }
    }
  }
  return y;
}

describe('DropTop ablation', () => {
  it('DropTop-1 leaves the weighted output of the remaining picks, and routing is unchanged', async () => {
    await selectBackend('wasm');
    const layer = createMoeLayer(SPEC);
    const intact = await run2(layer, undefined);
    const dropped = await run2(layer, 1);
    assert.deepEqual([...dropped.selected], [...intact.selected]);
    const wantIntact = await reference(layer, intact.selected, intact.gates, 0);
    const want = await reference(layer, intact.selected, intact.gates, 1);
    const maxDiff = (a: Float32Array, b: Float64Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    assert.ok(maxDiff(intact.y, wantIntact) < 1e-5, 'the reference reproduces the intact layer');
    assert.ok(maxDiff(dropped.y, want) < 1e-5, `max |Δ| = ${maxDiff(dropped.y, want)}`);
    assert.ok(maxDiff(dropped.y, wantIntact) > 1e-3, 'dropping the top pick changes the output');
    layer.dispose();
  });

  it('DropTop-1&2 of a top-2 layer without shared experts outputs zero', async () => {
    await selectBackend('wasm');
    const r = await run(2);
    assert.ok(r.y.every((v) => v === 0));
  });

  it('is an evaluation-time ablation only', async () => {
    await selectBackend('wasm');
    const layer = createMoeLayer(SPEC);
    assert.throws(() => tf.tidy(() => { layer.apply(tf.zeros([1, N, D]) as Tensor3D, { ...EVAL, training: true, dropTop: 1 }); }), /evaluation-time ablation/);
    layer.dispose();
  });
});
