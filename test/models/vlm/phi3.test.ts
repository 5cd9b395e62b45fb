import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';
import { Phi3DecoderLayer } from '../../../src/models/phi3/decoder-layer.js';
import { phi3RopeTables } from '../../../src/models/phi3/rope.js';
import type { Phi3LayerConfig } from '../../../src/models/phi3/config.js';

const BASE: Phi3LayerConfig = {
  hidden: 16, heads: 4, kvHeads: 4, intermediate: 24, rmsNormEps: 1e-5, ropeTheta: 10000,
  maxPositionEmbeddings: 32, originalMaxPositionEmbeddings: 32, ropeScaling: null,
};
const hidden = (t: number): Tensor3D => tf.randomNormal([2, t, 16], 0, 1, 'float32', 7) as Tensor3D;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('the layer\'s parameters carry transformers\' Phi3DecoderLayer names and shapes', async () => {
  await selectBackend('cpu');
  const layer = new Phi3DecoderLayer({ ...BASE, kvHeads: 2 });
  assert.deepEqual(Object.fromEntries([...layer.variables].map(([k, v]) => [k, v.shape])), {
    'self_attn.qkv_proj.weight': [(4 + 2 * 2) * 4, 16], 'self_attn.o_proj.weight': [16, 16],
    'mlp.gate_up_proj.weight': [48, 16], 'mlp.down_proj.weight': [16, 24],
    'input_layernorm.weight': [16], 'post_attention_layernorm.weight': [16],
  });
  layer.dispose();
});

test('grouped-query attention equals the same layer with each kv head repeated for its query heads', async () => {
  await selectBackend('cpu');
  const gqa = new Phi3DecoderLayer({ ...BASE, kvHeads: 2 }, 1);
  const full = new Phi3DecoderLayer(BASE, 2);
  const hd = 4;
  // qkv rows: q heads 0–3, then k heads, then v heads; kv head j serves query heads 2j, 2j+1.
  const qkv = gqa.variables.get('self_attn.qkv_proj.weight')!.arraySync() as number[][];
  const head = (block: number, j: number): number[][] => qkv.slice((block + j) * hd, (block + j + 1) * hd);
  const repeated = [...qkv.slice(0, 4 * hd), ...[0, 0, 1, 1].flatMap((j) => head(4, j)), ...[0, 0, 1, 1].flatMap((j) => head(6, j))];
  for (const [name, v] of full.variables) {
    const src = name === 'self_attn.qkv_proj.weight' ? tf.tensor2d(repeated) : tf.clone(gqa.variables.get(name)!);
    v.assign(src);
    src.dispose();
  }
  const x = hidden(5);
  const mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
  const [a, b] = tf.tidy(() => [gqa.apply(x, mask).output.dataSync(), full.apply(x, mask).output.dataSync()]);
  assert.ok(maxAbsDiff(a!, b!) < 1e-5, `max |Δ| ${maxAbsDiff(a!, b!)}`);
  tf.dispose(x);
  gqa.dispose();
  full.dispose();
});

test('right padding does not change the real tokens\' outputs (causal mask plus key padding)', async () => {
  await selectBackend('cpu');
  const layer = new Phi3DecoderLayer(BASE, 3);
  const x = hidden(6);
  const [padded, alone] = tf.tidy(() => {
    const p = layer.apply(x, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]).output;
    const a = layer.apply(tf.slice(x, [1, 0, 0], [1, 4, 16]) as Tensor3D, null).output;
    return [tf.slice(p, [1, 0, 0], [1, 4, 16]).dataSync(), a.dataSync()];
  });
  assert.ok(maxAbsDiff(padded!, alone!) < 1e-5);
  tf.dispose(x);
  layer.dispose();
});

test('LongRoPE divides by the short factors up to original_max_position_embeddings, by the long ones beyond, and scales cos/sin', () => {
  const c: Phi3LayerConfig = { ...BASE, hidden: 16, heads: 4, maxPositionEmbeddings: 32, originalMaxPositionEmbeddings: 8,
    ropeScaling: { type: 'longrope', shortFactor: [1, 2], longFactor: [4, 8] } };
  const scale = Math.sqrt(1 + Math.log(4) / Math.log(8));
  const short = phi3RopeTables(c, 8);
  const long = phi3RopeTables(c, 9);
  // Position 1, frequency 1: 1 / (factor · θ^(2/4)) = 1 / (factor · 100).
  assert.ok(Math.abs(short.sin[1 * 2 + 1]! - scale * Math.sin(1 / 200)) < 1e-6);
  assert.ok(Math.abs(long.sin[1 * 2 + 1]! - scale * Math.sin(1 / 800)) < 1e-6);
  assert.ok(Math.abs(long.cos[0]! - scale) < 1e-6, 'position 0: cos = the scaling factor');
  const plain = phi3RopeTables(BASE, 3);
  assert.ok(Math.abs(plain.cos[2 * 2]! - Math.cos(2)) < 1e-6, 'no scaling: plain RoPE, factor 1');
});
