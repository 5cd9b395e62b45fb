import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerRoutingStats } from '../../src/models/train-types.js';
import { deadExperts, maxVio, selectionOverlap, summariseLayer, usagePerplexity } from '../../src/sinks/routing-metrics.js';

/** 4 tokens, E = 4, K = 2, written out by hand. */
function layer(selected: number[], extra: Partial<LayerRoutingStats> = {}): LayerRoutingStats {
  const E = 4, K = 2, T = selected.length / K;
  const slots = new Float64Array(E);
  selected.forEach((e) => slots[e]!++);
  return {
    layer: 0, nExperts: E, topK: K, tokens: T, tokenSlots: slots, top1Count: new Float64Array(E), probMass: new Float64Array(E),
    gateMass: new Float64Array(E), entropyTopKSum: 0, entropyFullSum: 0, marginSum: 0, droppedSlots: 0, aux: {},
    selected: Int32Array.from(selected), gates: new Float32Array(selected.length), ...extra,
  };
}

test('MaxVio is max load over mean load minus one', () => {
  assert.equal(maxVio([2, 2, 2, 2]), 0);
  assert.equal(maxVio([4, 2, 2, 0]), 4 / 2 - 1);
  assert.ok(Number.isNaN(maxVio([0, 0])));
});

test('dead experts counts experts with no token-slot', () => {
  assert.equal(deadExperts([3, 0, 1, 0]), 2);
});

test('usage perplexity is exp(entropy of usage) / E: 1 when uniform, 1/E when one expert takes all', () => {
  assert.ok(Math.abs(usagePerplexity([5, 5, 5, 5]) - 1) < 1e-12);
  assert.ok(Math.abs(usagePerplexity([8, 0, 0, 0]) - 0.25) < 1e-12);
  // two experts equally used out of 4: exp(log 2)/4 = 0.5
  assert.ok(Math.abs(usagePerplexity([3, 3, 0, 0]) - 0.5) < 1e-12);
});

test('overlap with the previous layer is the mean over tokens of |S_l ∩ S_l-1| / K', () => {
  const prev = layer([0, 1, 2, 3, 0, 1, 2, 3]);
  const cur = layer([1, 0, 2, 0, 3, 2, 1, 3], { layer: 1 });
  // token0 {1,0}∩{0,1}=2 → 1; token1 {2,0}∩{2,3}=1 → .5; token2 {3,2}∩{0,1}=0; token3 {1,3}∩{2,3}=1 → .5
  assert.equal(selectionOverlap(cur, prev), (1 + 0.5 + 0 + 0.5) / 4);
});

test('overlap refuses layers that routed different token counts', () => {
  assert.throws(() => selectionOverlap(layer([0, 1, 2, 3]), layer([0, 1, 2, 3, 0, 1])), /routed 2 tokens, layer 0 3/);
});

test('summariseLayer divides the sums by tokens and normalises top-k entropy by log K', () => {
  const s = layer([0, 1, 0, 1, 0, 1, 2, 3], { entropyTopKSum: 4 * Math.log(2) * 0.5, entropyFullSum: 4 * 1.2, marginSum: 4 * 0.3, droppedSlots: 2 });
  const m = summariseLayer(s);
  assert.ok(Math.abs(m.entropyTopKNorm - 0.5) < 1e-12);
  assert.ok(Math.abs(m.entropyFull - 1.2) < 1e-12);
  assert.ok(Math.abs(m.margin - 0.3) < 1e-12);
  assert.equal(m.maxVio, 3 / 2 - 1); // loads [3,3,1,1], mean 2
  assert.equal(m.deadExperts, 0);
  assert.ok(Number.isNaN(m.overlapPrev), 'no previous layer → NaN');
});

test('top-k entropy is NaN for K = 1 (log 1 = 0 has no normalisation)', () => {
  const s: LayerRoutingStats = { ...layer([0, 1, 2, 3]), topK: 1, tokens: 4, selected: Int32Array.from([0, 1, 2, 3]) };
  assert.ok(Number.isNaN(summariseLayer(s).entropyTopKNorm));
});

test('overlap agrees with the literal definition on random selections (different K per layer)', async () => {
  const { Rng } = await import('../../src/base/random.js');
  const rng = new Rng(5);
  const T = 300;
  const mk = (k: number, layerNo: number): LayerRoutingStats => {
    const sel: number[] = [];
    for (let t = 0; t < T; t++) {
      const picks = rng.shuffle(Array.from({ length: 10 }, (_, i) => i)).slice(0, k);
      sel.push(...picks);
    }
    return { ...layer([0, 1]), layer: layerNo, nExperts: 10, topK: k, tokens: T, selected: Int32Array.from(sel) };
  };
  const prev = mk(3, 0);
  const cur = mk(2, 1);
  let expected = 0;
  for (let t = 0; t < T; t++) {
    const a = new Set(Array.from(cur.selected.subarray(t * 2, t * 2 + 2)));
    const b = new Set(Array.from(prev.selected.subarray(t * 3, t * 3 + 3)));
    expected += [...a].filter((e) => b.has(e)).length / 2;
  }
  assert.ok(Math.abs(selectionOverlap(cur, prev) - expected / T) < 1e-12);
});
