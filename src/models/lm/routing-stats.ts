/**
 * Collects each MoE layer's routing statistics and aux losses over the micro-batches of one
 * step: the stat tensors are queued on the step's Readback (one device→host copy for all of
 * them) and summed on the host into one LayerRoutingStats per layer.
 */
import { tf } from '../tf.js';
import type { Json } from '../../base/json.js';
import type { LayerRoutingStats } from '../train-types.js';
import type { MoeLayer, MoeOutput } from '../moe/types.js';
import type { Readback } from './readback.js';

interface LayerAcc {
  layer: number;
  tokens: number;
  /** K of the calls (MoeOutput.k): Hyper-R's dynamic K, K−1 routed for shared-expert variants. */
  k?: number;
  tokenSlots?: Float64Array;
  top1Count?: Float64Array;
  probMass?: Float64Array;
  gateMass?: Float64Array;
  entropyTopKSum: number;
  entropyFullSum: number;
  marginSum: number;
  droppedSlots: number;
  aux: Record<string, number>;
  selected: Int32Array[];
  gates: Float32Array[];
}

type VecKey = 'tokenSlots' | 'top1Count' | 'probMass' | 'gateMass';

export class RoutingAccumulator {
  /** Each aux component summed over layers and micro-batches. */
  readonly aux: Record<string, number> = {};
  /** Σ of every layer's aux_total over micro-batches. */
  auxTotal = 0;
  private readonly layers = new Map<number, LayerAcc>();

  constructor(
    private readonly rb: Readback,
    /** Where non-finite aux values are reported ('aux:layer <i>:<name>'). */
    private readonly problems: string[],
  ) {}

  /**
   * Keeps `out`'s tensors past the tape's tidy and queues them on the readback. Call inside
   * the tape, right after the layer ran, so a later failure still releases them with the readback.
   */
  queue(layer: number, out: MoeOutput, tokens: number): void {
    let a = this.layers.get(layer);
    if (a === undefined) {
      a = { layer, tokens: 0, entropyTopKSum: 0, entropyFullSum: 0, marginSum: 0, droppedSlots: 0, aux: {}, selected: [], gates: [] };
      this.layers.set(layer, a);
    }
    const acc = a;
    // Selections are [tokens·K] with the call's own K; every micro-batch of a step has the same one.
    if (acc.k !== undefined && acc.k !== out.k) throw new Error(`layer ${layer}: K changed within a step (${acc.k} → ${out.k})`);
    acc.k = out.k;
    acc.tokens += tokens;
    acc.selected.push(out.selected);
    const rb = this.rb;
    rb.add(tf.keep(out.auxTotal), ([v]) => {
      this.auxTotal += v!;
      if (!Number.isFinite(v!)) this.problems.push(`aux:layer ${layer}:aux_total`);
    });
    for (const [name, t] of Object.entries(out.aux)) {
      rb.add(tf.keep(t), ([v]) => {
        acc.aux[name] = (acc.aux[name] ?? 0) + v!;
        this.aux[name] = (this.aux[name] ?? 0) + v!;
        if (!Number.isFinite(v!)) this.problems.push(`aux:layer ${layer}:${name}`);
      });
    }
    const addVec = (key: VecKey) => (vals: Float32Array) => {
      const dst = (acc[key] ??= new Float64Array(vals.length));
      vals.forEach((v, i) => (dst[i]! += v));
    };
    const s = out.stats;
    rb.add(tf.keep(s.tokenSlots), addVec('tokenSlots'));
    rb.add(tf.keep(s.top1Count), addVec('top1Count'));
    rb.add(tf.keep(s.probMass), addVec('probMass'));
    rb.add(tf.keep(s.gateMass), addVec('gateMass'));
    rb.add(tf.keep(s.entropyTopKSum), ([v]) => (acc.entropyTopKSum += v!));
    rb.add(tf.keep(s.entropyFullSum), ([v]) => (acc.entropyFullSum += v!));
    rb.add(tf.keep(s.marginSum), ([v]) => (acc.marginSum += v!));
    rb.add(tf.keep(s.droppedSlots), ([v]) => (acc.droppedSlots += v!));
    rb.add(tf.keep(out.gates), (vals) => acc.gates.push(vals.slice()));
  }

  /** After the readback: one entry per MoE layer, in block order. `moeLayers[i]` is block i's layer. */
  finish(moeLayers: readonly (MoeLayer | null)[]): LayerRoutingStats[] {
    return [...this.layers.values()].map((a) => {
      const layer = moeLayers[a.layer]!;
      const bias = biasOf(layer.state());
      return {
        layer: a.layer,
        // Experts that tokens are routed to, as the tables count them: smoe_share's E counts its
        // always-on shared expert, which has no router index (router width E − 1).
        nExperts: Math.min(layer.spec.nExperts, a.tokenSlots?.length ?? layer.spec.nExperts),
        // The K the selections were made with (not spec.topK): per-token strides and slot counts follow it.
        topK: a.k ?? layer.spec.topK,
        tokens: a.tokens,
        tokenSlots: a.tokenSlots ?? new Float64Array(0),
        top1Count: a.top1Count ?? new Float64Array(0),
        probMass: a.probMass ?? new Float64Array(0),
        gateMass: a.gateMass ?? new Float64Array(0),
        ...(bias ? { bias } : {}),
        entropyTopKSum: a.entropyTopKSum,
        entropyFullSum: a.entropyFullSum,
        marginSum: a.marginSum,
        droppedSlots: a.droppedSlots,
        aux: a.aux,
        selected: concat(a.selected, Int32Array),
        gates: concat(a.gates, Float32Array),
      };
    });
  }
}

/** DeepSeek-style layers expose their routing bias in state(); report it when present. */
function biasOf(state: Json): Float64Array | undefined {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return undefined;
  for (const key of ['bias', 'e_score_correction_bias']) {
    const v = (state as Record<string, Json>)[key];
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float64Array.from(v as number[]);
  }
  return undefined;
}

function concat<A extends Int32Array | Float32Array>(parts: A[], Ctor: { new (n: number): A }): A {
  const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
