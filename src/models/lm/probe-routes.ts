/**
 * The probe pass of routing analysis (docs/analysis.md): a fixed probe set run through a
 * checkpoint in evaluation mode, returning every token's route in every MoE layer, plus each
 * token's log-probability of the next token (for perplexity, intact or ablated).
 *
 * Probe documents longer than the window are cut into consecutive windows of `maxTokens`;
 * windows are batched `batchSize` at a time and right-padded to a multiple of `quantum`. As in
 * the continuation scorer, padding sits after every real token and attention is causal, so a
 * real token's route does not depend on the batching (dropless layers; a capacity factor would
 * let padding compete for slots). Routes of padding positions are dropped.
 *
 * Evaluation changes nothing: `training: false`, and every layer's non-trainable state (the
 * DeepSeek aux-free bias) is put back after each forward.
 *
 * log p(next) is read as log(softmax(logits)[next]): the backends' fused softmax kernel is ~10×
 * cheaper than logSoftmax's chain of full-vocabulary ops (max, subtract, exp, sum, subtract),
 * which cost a tenth of the probe pass. A probability below float32's normal range (a gap of
 * ~87 nats to the best token) would lose precision or underflow to 0: a batch holding one is
 * recomputed with logSoftmax, so every value is the exact one either way.
 */
import { tf, type Tensor, type Tensor1D } from '../tf.js';
import type { Json } from '../../base/json.js';
import type { TransformerLM } from './transformer-lm.js';
import { withProbedRouting } from '../moe/routing-reads.js';

export interface ProbeOptions {
  /** Longest window (the model's training window, data.seqLen). */
  readonly maxTokens: number;
  /** Windows per forward. */
  readonly batchSize: number;
  /** Rows are padded to a multiple of this many tokens (capped at maxTokens); default 32. */
  readonly quantum?: number;
  /** Step passed to the routers (schedules, Hyper-R's K): the checkpoint's step. */
  readonly step?: number;
  readonly totalSteps?: number;
  /** DropTop-n ablation (MoeCallContext.dropTop) in every MoE layer: the log-probabilities and routes are the ablated model's (a layer routes what the ablated layers below it produced). */
  readonly dropTop?: number;
  /** Count the routed experts' hidden units > 0 (ReLU banks: LibMoE's relu_pass_rate) into `ProbeLayerRoutes.hidden`. */
  readonly countActiveHidden?: boolean;
}

/** ReLU pass counts of one layer over the probe's real tokens (padding left out). */
export interface HiddenPass {
  /** Token-slots the routed ReLU experts computed. */
  readonly slots: number;
  /** Hidden units per slot (expert_size s). */
  readonly width: number;
  /** Of the slots·width hidden units, those > 0. */
  readonly active: number;
}

/** One MoE layer's routes over every probe token, in probe order. Structurally an analysis `Routes`. */
export interface ProbeLayerRoutes {
  readonly layer: number;
  readonly tokens: number;
  readonly k: number;
  /** The router's width E_r (TC-MoE 2E+K, MoE++ E+2): the range of `selected`. */
  readonly experts: number;
  /** [tokens · k] router indices, slot 0 the top pick. */
  readonly selected: Int32Array;
  /** [tokens · k] gate weights as the combine uses them. */
  readonly weights: Float32Array;
  /** With `countActiveHidden`, on a ReLU bank. */
  readonly hidden?: HiddenPass;
}

export interface ProbeResult {
  /** Probe tokens (every token of every document, in order). */
  readonly tokens: number;
  /** Per probe token: its document's index in the input. */
  readonly document: Int32Array;
  /** Per probe token: its id. */
  readonly tokenIds: Int32Array;
  /** Per probe token: log p(next token); NaN for the last token of a window (nothing follows it there). */
  readonly nextLogprob: Float32Array;
  readonly layers: readonly ProbeLayerRoutes[];
}

interface Window { readonly doc: number; readonly ids: Int32Array }

/** Smallest normal float32: below it a probability has lost precision (or underflowed to 0). */
const FLOAT32_MIN_NORMAL = 1.1754944e-38;

export async function probeRoutes(model: TransformerLM, documents: readonly Int32Array[], opts: ProbeOptions): Promise<ProbeResult> {
  if (!(opts.maxTokens >= 1 && opts.batchSize >= 1)) throw new Error(`probeRoutes: maxTokens and batchSize must be ≥ 1, got ${opts.maxTokens} and ${opts.batchSize}`);
  const quantum = Math.max(1, Math.floor(opts.quantum ?? 32));
  const windows: Window[] = [];
  documents.forEach((d, doc) => {
    for (let from = 0; from < d.length; from += opts.maxTokens) windows.push({ doc, ids: d.subarray(from, Math.min(d.length, from + opts.maxTokens)) });
  });
  const total = windows.reduce((s, w) => s + w.ids.length, 0);
  const document = new Int32Array(total);
  const tokenIds = new Int32Array(total);
  const nextLogprob = new Float32Array(total);
  const layerOut = new Map<number, { k: number; experts: number; selected: Int32Array; weights: Float32Array; hidden?: { slots: number; width: number; active: number } }>();
  const V = model.config.vocabSize;
  let at = 0;
  for (let w0 = 0; w0 < windows.length; w0 += opts.batchSize) {
    const group = windows.slice(w0, w0 + opts.batchSize);
    const longest = Math.max(...group.map((w) => w.ids.length));
    const T = Math.min(opts.maxTokens, Math.ceil(longest / quantum) * quantum);
    const B = group.length;
    const inputs = new Int32Array(B * T);
    const targetIdx = new Int32Array(B * T);
    group.forEach((w, b) => {
      inputs.set(w.ids, b * T);
      for (let t = 0; t < T; t++) targetIdx[b * T + t] = (b * T + t) * V + (t + 1 < w.ids.length ? w.ids[t + 1]! : 0);
    });
    const saved: (Json | null)[] = model.moeLayers.map((l) => (l ? l.state() : null));
    // What outlives the forward's tidy: the log-probabilities and each layer's gates (kept explicitly).
    const kept: { p?: Tensor1D; logits?: Tensor; moe: { layer: number; k: number; experts: number; selected: Int32Array; gates: Tensor; active?: { perRow: Tensor; tokenOfRow: Int32Array; width: number } }[] } = { moe: [] };
    try {
      const ctx = { training: false, step: opts.step ?? 0, totalSteps: opts.totalSteps ?? 1, ...(opts.dropTop ? { dropTop: opts.dropTop } : {}), ...(opts.countActiveHidden ? { countActiveHidden: true } : {}) };
      const probe = () => model.probeRouting(inputs, B, T, ctx);
      // Routing read first where the backend cannot read synchronously (moe/routing-reads.ts).
      await withProbedRouting(model.routes ? probe : undefined, () => tf.tidy(() => {
        const fwd = model.forward(tf.tensor1d(inputs, 'int32'), B, T, ctx);
        kept.p = tf.keep(tf.gather(tf.reshape(tf.softmax(fwd.logits), [-1]), tf.tensor1d(targetIdx, 'int32')) as Tensor1D);
        kept.logits = tf.keep(fwd.logits);
        for (const { layer, out } of fwd.moe) {
          const h = out.hiddenActive;
          kept.moe.push({ layer, k: out.k, experts: out.stats.tokenSlots.shape[0], selected: out.selected, gates: tf.keep(out.gates), ...(h ? { active: { ...h, perRow: tf.keep(h.perRow) } } : {}) });
        }
      }));
    } finally {
      model.moeLayers.forEach((l, i) => { if (l) l.setState(saved[i]!); });
    }
    const withActive = kept.moe.filter((m) => m.active);
    const [[p, ...gates], active] = await Promise.all([
      Promise.all([kept.p!.data() as Promise<Float32Array>, ...kept.moe.map((m) => m.gates.data() as Promise<Float32Array>)]),
      Promise.all(withActive.map((m) => m.active!.perRow.data() as Promise<Int32Array>)),
    ]);
    let lp: Float32Array | undefined;
    if (group.some((w, b) => { for (let t = 0; t + 1 < w.ids.length; t++) if (!(p[b * T + t]! >= FLOAT32_MIN_NORMAL)) return true; return false; })) {
      const exact = tf.tidy(() => tf.gather(tf.reshape(tf.logSoftmax(kept.logits!), [-1]), tf.tensor1d(targetIdx, 'int32')));
      lp = await exact.data() as Float32Array;
      exact.dispose();
    }
    tf.dispose([kept.p!, kept.logits!, ...kept.moe.map((m) => m.gates), ...withActive.map((m) => m.active!.perRow)]);
    kept.moe.forEach((m, i) => {
      let acc = layerOut.get(m.layer);
      if (!acc) layerOut.set(m.layer, acc = { k: m.k, experts: m.experts, selected: new Int32Array(total * m.k), weights: new Float32Array(total * m.k) });
      if (acc.k !== m.k || acc.experts !== m.experts) throw new Error(`probeRoutes: layer ${m.layer} changed shape between batches (k ${acc.k}→${m.k}, E ${acc.experts}→${m.experts})`);
      if (m.active) {
        // Rows of padding positions (t ≥ the window's length) are left out.
        const perRow = active[withActive.indexOf(m)]!;
        const h = (acc.hidden ??= { slots: 0, width: m.active.width, active: 0 });
        for (let r = 0; r < perRow.length; r++) {
          const tok = m.active.tokenOfRow[r]!;
          if (tok % T >= group[Math.floor(tok / T)]!.ids.length) continue;
          h.slots++;
          h.active += perRow[r]!;
        }
      }
      let pos = at;
      group.forEach((w, b) => {
        const n = w.ids.length;
        acc.selected.set(m.selected.subarray(b * T * m.k, (b * T + n) * m.k), pos * m.k);
        acc.weights.set(gates[i]!.subarray(b * T * m.k, (b * T + n) * m.k), pos * m.k);
        pos += n;
      });
    });
    group.forEach((w, b) => {
      const n = w.ids.length;
      document.fill(w.doc, at, at + n);
      tokenIds.set(w.ids, at);
      for (let t = 0; t < n; t++) nextLogprob[at + t] = t + 1 < n ? (lp ? lp[b * T + t]! : Math.log(p[b * T + t]!)) : NaN;
      at += n;
    });
  }
  const layers = [...layerOut.entries()].sort(([a], [b]) => a - b).map(([layer, l]) => ({ layer, tokens: total, ...l }));
  return { tokens: total, document, tokenIds, nextLogprob, layers };
}
