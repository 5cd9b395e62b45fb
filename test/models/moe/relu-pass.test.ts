/**
 * ReLU pass counts (LibMoE relu_pass_rate): with ctx.countActiveHidden a σ-MoE layer reports,
 * per computed token-slot, how many of its expert's hidden units relu(x·K_e) are > 0, equal to
 * a float64 count from the layer's own weights; the output is unchanged, other banks report nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectBackend } from '../../../src/models/backend.js';
import { createMoeLayer } from '../../../src/models/moe/registry.js';
import type { MoeCallContext, MoeLayerSpec } from '../../../src/models/moe/types.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';

const E = 4, D = 6, S = 5, K = 2, N = 9;
const SPEC: MoeLayerSpec = { algorithm: 'moe_layer', dModel: D, nExperts: E, topK: K, expert: { kind: 'relu-kv', size: S }, seed: 5, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } };
const EVAL: MoeCallContext = { training: false, step: 0, totalSteps: 1 };
const x = Float32Array.from({ length: N * D }, (_, i) => Math.cos(0.7 * i + 0.4));

async function apply(spec: MoeLayerSpec, ctx: MoeCallContext) {
  const layer = createMoeLayer(spec);
  try {
    let host: { selected: Int32Array; hidden?: { tokenOfRow: number[]; width: number } } = { selected: new Int32Array(0) };
    const [y, perRow] = tf.tidy(() => {
      const out = layer.apply(tf.tensor3d(x, [1, N, D]) as Tensor3D, ctx);
      const h = out.hiddenActive;
      host = { selected: out.selected, ...(h ? { hidden: { tokenOfRow: Array.from(h.tokenOfRow), width: h.width } } : {}) };
      return [out.y, h ? h.perRow : tf.zeros([0])];
    });
    const r = { y: await y!.data(), perRow: Array.from(await perRow!.data()), ...host };
    const keys = await [...layer.variables.entries()].find(([n]) => n.endsWith('keys'))?.[1].data();
    tf.dispose([y!, perRow!]);
    return { ...r, keys };
  } finally {
    layer.dispose();
  }
}

describe('countActiveHidden', () => {
  it('counts each computed slot\'s hidden units > 0, in expert order, without changing the output', async () => {
    await selectBackend('wasm');
    const plain = await apply(SPEC, EVAL);
    const counted = await apply(SPEC, { ...EVAL, countActiveHidden: true });
    assert.deepEqual(counted.y, plain.y);
    assert.equal(plain.hidden, undefined);
    const h = counted.hidden!;
    assert.equal(h.width, S);
    assert.equal(counted.perRow.length, N * K);
    // Rows in expert order: expert of each row from the routes, then the count from float64 math.
    const rowsOf: [number, number][] = [];
    for (let e = 0; e < E; e++) for (let n = 0; n < N; n++) for (let j = 0; j < K; j++) if (counted.selected[n * K + j] === e) rowsOf.push([n, e]);
    assert.deepEqual(h.tokenOfRow, rowsOf.map(([n]) => n));
    const keys = counted.keys!;
    const want = rowsOf.map(([n, e]) => {
      let c = 0;
      for (let s = 0; s < S; s++) {
        let v = 0;
        for (let d = 0; d < D; d++) v += x[n * D + d]! * keys[e * D * S + d * S + s]!;
        if (v > 0) c++;
      }
      return c;
    });
    assert.deepEqual(counted.perRow, want);
    assert.ok(want.some((c) => c > 0) && want.some((c) => c < S), 'a mix of active and inactive units');
  });

  it('reports nothing for a GELU bank', async () => {
    const gelu = await apply({ algorithm: 'smoe', dModel: D, nExperts: E, topK: K, expert: { kind: 'gelu-mlp', hidden: S }, seed: 5 }, { ...EVAL, countActiveHidden: true });
    assert.equal(gelu.hidden, undefined);
  });
});
