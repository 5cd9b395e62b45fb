import { tf } from '../tf.js';
import { createMoeLayer } from './registry.js';
import type { MoeLayer, MoeLayerSpec } from './types.js';

/** A dense FFN `Linear(D,H) → GELU → Linear(H,D_out)` in torch layout (W1 [H,D], W2 [D_out,H]); D_out = spec.dOut ?? D. */
export interface DenseFfnWeights {
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
  readonly hidden: number;
}

/**
 * Sparse upcycling as LibMoE does it (moe.py deepcopy + llava_arch.py weight copy): every
 * routed expert (shared experts included) starts as a copy of the dense FFN; the router keeps
 * its fresh init N(0, std_gate) drawn from the layer seed. With identical experts and weights
 * that sum to 1, the layer initially computes exactly the dense FFN.
 */
export function upcycleDenseFfn(spec: MoeLayerSpec, dense: DenseFfnWeights): MoeLayer {
  if (spec.expert.kind !== 'gelu-mlp' || spec.expert.hidden !== dense.hidden) {
    throw new Error(`upcycling: spec experts must be gelu-mlp with hidden ${dense.hidden}`);
  }
  const d = spec.dModel;
  const dOut = spec.dOut ?? d;
  const h = dense.hidden;
  if (dense.w1.length !== h * d || dense.b1.length !== h || dense.w2.length !== dOut * h || dense.b2.length !== dOut) {
    throw new Error(`upcycling: dense FFN shapes do not match D=${d}, H=${h}, D_out=${dOut}`);
  }
  const layer = createMoeLayer(spec);
  const prefix = spec.name ?? '';
  const parts: [string, Float32Array][] = [['0.weight', dense.w1], ['0.bias', dense.b1], ['2.weight', dense.w2], ['2.bias', dense.b2]];
  let copied = 0;
  for (const [name, v] of layer.variables) {
    const m = /^experts\.(\d+)\.(0\.weight|0\.bias|2\.weight|2\.bias)$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const src = parts.find(([p]) => p === m[2])![1];
    assignArray(v, src);
    copied++;
  }
  if (copied === 0) throw new Error(`upcycling: algorithm ${spec.algorithm} has no FFN experts to copy into`);
  return layer;
}

/** Overwrite a variable from host data (the temporary tensor is released). */
export function assignArray(v: tf.Variable, data: Float32Array): void {
  const t = tf.tensor(data, v.shape, 'float32');
  v.assign(t);
  t.dispose();
}
