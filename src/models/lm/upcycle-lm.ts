/**
 * Sparse upcycling at model level (LibMoE §5 recipe, applied to the LM): build an MoE LM
 * from a trained dense one. Every non-FFN parameter is copied; in each MoE block every
 * expert starts as a copy of that block's dense FFN (keys[e] = W1, values[e] = W2) and the
 * router gets a fresh N(0, 0.02) init from a fixed seed. With identical experts and gate
 * weights that sum to 1, the upcycled model computes exactly the dense model's function.
 */
import { tf, type Variable } from '../tf.js';
import { seededNormal, subSeed } from './seeded-draws.js';
import type { LmConfig } from './config.js';
import { TransformerLM, type MoeFactory } from './transformer-lm.js';

export interface UpcycleOptions {
  /** Router init std (LibMoE `std_gate` 0.02). */
  readonly routerStd?: number;
  /** Seed of the router init (LibMoE re-seeds 42 for every layer). */
  readonly routerSeed?: number;
}

/**
 * `moe` must equal `dense.config` except for `ffn`, which must be MoE with expertSize equal to
 * the dense FFN width (non-MoE blocks keep the dense width: `denseHidden` is set for them).
 */
export async function upcycleLm(dense: TransformerLM, moe: LmConfig, factory: MoeFactory, opts: UpcycleOptions = {}): Promise<TransformerLM> {
  const d = dense.config;
  if (d.ffn.kind !== 'dense') throw new Error('upcycleLm: the source model must have dense FFNs');
  if (moe.ffn.kind !== 'moe') throw new Error('upcycleLm: the target config must have an MoE FFN');
  if (moe.ffn.expertSize !== d.ffn.hidden) throw new Error(`upcycleLm: expertSize ${moe.ffn.expertSize} must equal the dense FFN width ${d.ffn.hidden}`);
  for (const k of ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'headDim', 'ropeFraction', 'ropeBase', 'layerNormEps'] as const) {
    const v = (moe as unknown as Record<string, unknown>)[k];
    if (v !== undefined && v !== d[k]) throw new Error(`upcycleLm: ${k} differs (dense ${d[k]}, MoE ${String(v)})`);
  }
  const target = new TransformerLM({ ...moe, headDim: d.headDim, ffn: { ...moe.ffn, denseHidden: d.ffn.hidden } }, factory);
  const std = opts.routerStd ?? 0.02;
  const seed = opts.routerSeed ?? 42;
  const copied = new Set<string>();
  for (const [name, v] of target.params) {
    const src = dense.params.get(name);
    if (src !== undefined) {
      assignFrom(v, await src.data());
      copied.add(name);
      continue;
    }
    const m = /^layers\.(\d+)\.ffn\.(.+)$/.exec(name);
    if (!m) throw new Error(`upcycleLm: no source for "${name}"`);
    const [, layer, local] = m;
    if (local === 'keys' || local === 'values') {
      const w = await dense.param(`layers.${layer}.ffn.${local === 'keys' ? 'w1' : 'w2'}`).data();
      const e = v.shape[0]!;
      if (v.size !== e * w.length) throw new Error(`upcycleLm: "${name}" [${v.shape}] does not hold ${e} copies of a dense FFN matrix of ${w.length} values`);
      const data = new Float32Array(v.size);
      for (let i = 0; i < e; i++) data.set(w as Float32Array, i * w.length);
      assignFrom(v, data);
    } else if (local === 'expert_sel') {
      assignFrom(v, seededNormal(v.size, std, subSeed(seed, name)));
    } else {
      throw new Error(`upcycleLm: don't know how to upcycle "${name}" (router "${moe.ffn.algorithm}"); supported: keys, values, expert_sel`);
    }
  }
  return target;
}

function assignFrom(v: Variable, data: Float32Array | Int32Array | Uint8Array): void {
  tf.tidy(() => v.assign(tf.tensor(data as Float32Array, v.shape, 'float32')));
}
