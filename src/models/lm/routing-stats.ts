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

/**
 * One MoE layer call's numbers as read back (host copies): what a micro-batch adds to the
 * step's statistics. A data-parallel worker sends these instead of tensors; the accumulator
 * sums them in micro-batch order, so the merge equals the single-process step.
 */
export interface LayerCallNumbers {
  readonly layer: number;
  readonly tokens: number;
  readonly k: number;
  readonly selected: Int32Array;
  auxTotal: number;
  /** Each aux component of this call, in the layer's order. */
  readonly aux: [string, number][];
  tokenSlots: Float32Array;
  top1Count: Float32Array;
  probMass: Float32Array;
  gateMass: Float32Array;
  entropyTopKSum: number;
  entropyFullSum: number;
  marginSum: number;
  droppedSlots: number;
  gates: Float32Array;
}

export class RoutingAccumulator {
  /** Each aux component summed over layers and micro-batches. */
  readonly aux: Record<string, number> = {};
  /** Σ of every layer's aux_total over micro-batches. */
  auxTotal = 0;
  /** Every call added so far, in order (what a data-parallel worker reports). */
  readonly calls: LayerCallNumbers[] = [];
  private readonly layers = new Map<number, LayerAcc>();

  constructor(
    private readonly rb: Readback,
    /** Where non-finite aux values are reported ('aux:layer <i>:<name>'). */
    private readonly problems: string[],
  ) {}

  /**
   * Keeps `out`'s tensors past the tape's tidy and queues them on the readback; once read, the
   * call's numbers are added (`add`). Call inside the tape, right after the layer ran, so a
   * later failure still releases them with the readback.
   */
  queue(layer: number, out: MoeOutput, tokens: number): void {
    const empty = new Float32Array(0);
    const rec: LayerCallNumbers = {
      layer, tokens, k: out.k, selected: out.selected, auxTotal: 0, aux: [],
      tokenSlots: empty, top1Count: empty, probMass: empty, gateMass: empty,
      entropyTopKSum: 0, entropyFullSum: 0, marginSum: 0, droppedSlots: 0, gates: empty,
    };
    const rb = this.rb;
    rb.add(tf.keep(out.auxTotal), ([v]) => (rec.auxTotal = v!));
    for (const [name, t] of Object.entries(out.aux)) rb.add(tf.keep(t), ([v]) => rec.aux.push([name, v!]));
    const s = out.stats;
    const vec = (key: VecKey) => (vals: Float32Array) => (rec[key] = vals.slice());
    rb.add(tf.keep(s.tokenSlots), vec('tokenSlots'));
    rb.add(tf.keep(s.top1Count), vec('top1Count'));
    rb.add(tf.keep(s.probMass), vec('probMass'));
    rb.add(tf.keep(s.gateMass), vec('gateMass'));
    rb.add(tf.keep(s.entropyTopKSum), ([v]) => (rec.entropyTopKSum = v!));
    rb.add(tf.keep(s.entropyFullSum), ([v]) => (rec.entropyFullSum = v!));
    rb.add(tf.keep(s.marginSum), ([v]) => (rec.marginSum = v!));
    rb.add(tf.keep(s.droppedSlots), ([v]) => (rec.droppedSlots = v!));
    // The last of the call's values: the record is complete.
    rb.add(tf.keep(out.gates), (vals) => {
      rec.gates = vals.slice();
      this.add(rec);
    });
  }

  /** Adds one call's numbers (float64 sums, in the order calls are added). */
  add(rec: LayerCallNumbers): void {
    const { layer } = rec;
    let acc = this.layers.get(layer);
    if (acc === undefined) {
      acc = { layer, tokens: 0, entropyTopKSum: 0, entropyFullSum: 0, marginSum: 0, droppedSlots: 0, aux: {}, selected: [], gates: [] };
      this.layers.set(layer, acc);
    }
    // Selections are [tokens·K] with the call's own K; every micro-batch of a step has the same one.
    if (acc.k !== undefined && acc.k !== rec.k) throw new Error(`layer ${layer}: K changed within a step (${acc.k} → ${rec.k})`);
    acc.k = rec.k;
    acc.tokens += rec.tokens;
    acc.selected.push(rec.selected);
    this.auxTotal += rec.auxTotal;
    if (!Number.isFinite(rec.auxTotal)) this.problems.push(`aux:layer ${layer}:aux_total`);
    for (const [name, v] of rec.aux) {
      acc.aux[name] = (acc.aux[name] ?? 0) + v;
      this.aux[name] = (this.aux[name] ?? 0) + v;
      if (!Number.isFinite(v)) this.problems.push(`aux:layer ${layer}:${name}`);
    }
    for (const key of ['tokenSlots', 'top1Count', 'probMass', 'gateMass'] as const) {
      const vals = rec[key];
      const dst = (acc[key] ??= new Float64Array(vals.length));
      vals.forEach((v, i) => (dst[i]! += v));
    }
    acc.entropyTopKSum += rec.entropyTopKSum;
    acc.entropyFullSum += rec.entropyFullSum;
    acc.marginSum += rec.marginSum;
    acc.droppedSlots += rec.droppedSlots;
    acc.gates.push(rec.gates);
    this.calls.push(rec);
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
