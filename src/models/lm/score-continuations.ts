/**
 * Teacher-forced scoring of continuations for zero-shot evaluation (src/eval).
 *
 * Requests are packed into one [B, T] batch per call: each window holds one context and the
 * continuations of the consecutive requests that share it (a multiple-choice item's options),
 * each continuation without its last token and seeing only the context and itself
 * (shared-context-window.ts), right-padded to `padLength` so few distinct shapes reach the
 * backend. The context is computed once per item instead of once per option, and only rows
 * whose prediction is read reach the output projection. No real row attends to padding or to
 * another option, and the FFN is per token, so scores do not depend on which requests share a
 * batch. (A capacity factor would let padding compete for expert slots; LibMoE's LM is dropless
 * and so is every shipped pipeline.)
 *
 * Evaluation changes nothing: the forward runs with `training: false`, and the routers keep
 * their state and parameters outside training (no DeepSeek aux-free bias update — LibMoE updates
 * it in evaluation too, moeflow does not —, no X-MoE in-place renormalisation, no ReMoE λ
 * update, Hyper-R's fixed K; test/models/moe/eval-changes-nothing.test.ts).
 */
import { tf, type Tensor1D } from '../tf.js';
import type { MoeOutput } from '../moe/types.js';
import type { ContinuationRequest, ContinuationScore, ContinuationScorer } from './continuation-types.js';
import type { ResolvedLmConfig } from './config.js';
import { forwardFlops } from './flops.js';
import { groupRows, placeGroup, type SharedContextGroup } from './shared-context-window.js';
import type { TransformerLM } from './transformer-lm.js';
import { withProbedRouting } from '../moe/routing-reads.js';

export interface ScorerOptions {
  /** Longest input row (the model's training window, data.seqLen). */
  readonly maxTokens: number;
  /** Rows are padded to a multiple of this many tokens (capped at maxTokens); absent: chosen
   *  per batch from its longest row (`padLength`). */
  readonly quantum?: number;
  /** Step passed to the routers (schedules); evaluation uses the checkpoint's step. */
  readonly step?: number;
  readonly totalSteps?: number;
  /** Score consecutive requests with the same context in one window, the context once, where
   *  that is cheaper than a window each (windowCost); 'always': whenever they share it
   *  (shared-context-window.ts); default true, always off with `onMoe`. */
  readonly shareContext?: boolean | 'always';
  /** DropTop-n ablation in every MoE layer (MoeCallContext.dropTop): scores of the ablated model (routing analysis). */
  readonly dropTop?: number;
  /** Sees each forward's MoE outputs (inside the forward's tidy) with the real-token mask: eval-time routing logs. */
  readonly onMoe?: (moe: readonly { readonly layer: number; readonly out: MoeOutput }[], rows: readonly RowLayout[], seqLen: number) => void;
}

/** Where a window's tokens are in the padded batch. */
export interface RowLayout {
  /** Real tokens in the window (context + continuation − 1 unshared); rows ≥ length are padding. */
  readonly length: number;
}

/**
 * The padded row length of a batch whose longest row has `longest` tokens: a multiple of
 * `quantum`, or without one, of the power of two nearest to longest/8, so padding wastes at most
 * ~1/8 of the row while a backend sees few distinct shapes (≤ 8 per octave of lengths; the
 * batches come sorted by length, so their rows are close to the longest). Capped at `maxTokens`.
 */
export function padLength(longest: number, maxTokens: number, quantum?: number): number {
  const q = quantum !== undefined ? Math.max(1, Math.floor(quantum)) : 2 ** Math.max(0, Math.round(Math.log2(longest / 8)));
  return Math.min(maxTokens, Math.ceil(longest / q) * q);
}

export class LmContinuationScorer implements ContinuationScorer {
  readonly maxTokens: number;

  constructor(private readonly model: TransformerLM, private readonly opts: ScorerOptions) {
    this.maxTokens = opts.maxTokens;
  }

  /** How `score` lays these requests out: its windows (groups) and their padded length. */
  layout(requests: readonly ContinuationRequest[]): Layout {
    // Routing logs read one sequence per forward: no sharing then.
    if (this.opts.onMoe !== undefined || this.opts.shareContext === false) return batchLayout(requests, undefined, this.maxTokens, this.opts.quantum);
    const cost = this.opts.shareContext === 'always' ? () => 0 : (rows: number) => windowCost(this.model.config, rows);
    return batchLayout(requests, cost, this.maxTokens, this.opts.quantum);
  }

  async score(requests: readonly ContinuationRequest[]): Promise<ContinuationScore[]> {
    if (requests.length === 0) return [];
    for (const r of requests) {
      if (r.context.length < 1 || r.continuation.length < 1) throw new Error('a request needs at least one context and one continuation token');
      const n = r.context.length + r.continuation.length - 1;
      if (n > this.maxTokens) throw new Error(`a request of ${n} input tokens exceeds the window of ${this.maxTokens}`);
    }
    const { groups, T } = this.layout(requests);
    const B = groups.length;
    const V = this.model.config.vocabSize;
    // Without a shared window every window is one causal sequence: the model's cached causal
    // mask and RoPE tables serve, and no [B·T, T] mask is built.
    const shared = groups.some((g) => g.group.continuations.length > 1);
    const ids = new Int32Array(B * T);
    const positions = new Int32Array(B * T);
    const mask = shared ? new Float32Array(B * T * T) : undefined;
    const placed = groups.map((g, w) => placeGroup(g.group, w, T, ids, positions, mask));

    // Only rows whose prediction is read reach the output projection, each once.
    const headIndex = new Map<number, number>();
    const headOf = (row: number): number => {
      let i = headIndex.get(row);
      if (i === undefined) headIndex.set(row, (i = headIndex.size));
      return i;
    };
    const plans = new Array<{ cont: Int32Array; ctx: Int32Array | null }>(requests.length);
    groups.forEach((g, w) => {
      const p = placed[w]!;
      g.members.forEach((req, k) => {
        const cont = Int32Array.from(p.continuationRows[k]!, (r) => headOf(w * T + r));
        const ctx = requests[req]!.scoreContext === false ? null : Int32Array.from(p.contextRows, (r) => headOf(w * T + r));
        plans[req] = { cont, ctx };
      });
    });
    const headRows = Int32Array.from(headIndex.keys());
    const targetsAt = (req: number): { cont: Int32Array; ctx: Int32Array } => {
      const r = requests[req]!;
      return { cont: r.continuation, ctx: r.context.subarray(1) };
    };
    const flat: number[] = [];
    plans.forEach((p, req) => {
      const t = targetsAt(req);
      p.cont.forEach((h, i) => flat.push(h * V + t.cont[i]!));
      p.ctx?.forEach((h, i) => flat.push(h * V + t.ctx[i]!));
    });

    const layout = mask ? { positions, mask, headRows } : { headRows };
    const ctx = { training: false, step: this.opts.step ?? 0, totalSteps: this.opts.totalSteps ?? 1, ...(this.opts.dropTop ? { dropTop: this.opts.dropTop } : {}) };
    const probe = () => this.model.probeRouting(ids, B, T, ctx, layout);
    // Routing read first where the backend cannot read synchronously (moe/routing-reads.ts).
    const [logprobT, argmaxT] = await withProbedRouting(this.model.routes ? probe : undefined, () => tf.tidy(() => {
      const fwd = this.model.forward(tf.tensor1d(ids, 'int32'), B, T, ctx, undefined, layout);
      this.opts.onMoe?.(fwd.moe, placed.map((p) => ({ length: p.rows })), T);
      const lsm = tf.logSoftmax(fwd.logits);
      return [tf.gather(tf.reshape(lsm, [-1]), tf.tensor1d(flat, 'int32')) as Tensor1D, tf.argMax(fwd.logits, 1) as Tensor1D];
    }));
    const [lp, am] = await Promise.all([logprobT.data() as Promise<Float32Array>, argmaxT.data() as Promise<Int32Array>]);
    tf.dispose([logprobT, argmaxT]);
    let at = 0;
    return plans.map((p) => {
      const n = p.cont.length;
      const tokenLogprobs = new Float64Array(n);
      const greedy = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        tokenLogprobs[i] = lp[at++]!;
        greedy[i] = am[p.cont[i]!]!;
      }
      let contextLogprob = Number.NaN;
      if (p.ctx) {
        contextLogprob = 0;
        for (let i = 0; i < p.ctx.length; i++) contextLogprob += lp[at++]!;
      }
      return { tokenLogprobs, contextLogprob, greedy };
    });
  }
}

/**
 * Relative cost of one window of `rows` rows: the model FLOPs without the output projection
 * (only scored rows reach it, shared or not), attention over the full square, plus the
 * elementwise work on every attention score (mask, softmax), which runs far below matMul speed
 * on wasm: weighted 64 FLOPs a score, from bench/eval on PIQA (short context, long options: one
 * shared window is slower than two) and HellaSwag and ARC (long context: sharing wins).
 */
export function windowCost(c: ResolvedLmConfig, rows: number): number {
  return forwardFlops(c, rows, rows) - 2 * c.dModel * c.vocabSize * rows + 64 * c.nLayers * c.nHeads * rows * rows;
}

export interface Layout { readonly groups: readonly Group[]; readonly rows: number; readonly T: number }

/**
 * How a call's requests become windows: the groups (one window each) and the padded window
 * length. With `shareCost`, runs of requests with the same context are each read once in a
 * window of their own when that makes the padded call cheaper than a window per request (a
 * call pads every window to its longest, so the choice is made for the call as a whole).
 */
export function batchLayout(requests: readonly ContinuationRequest[], shareCost: ((rows: number) => number) | undefined, maxTokens: number, quantum?: number): Layout {
  const layoutOf = (groups: Group[]): Layout => {
    const sizes = groups.map((g) => groupRows(g.group));
    const longest = Math.max(...sizes);
    // A shared window may hold more rows than the training window; its position ids stay below it.
    return { groups, rows: sizes.reduce((a, b) => a + b, 0), T: padLength(longest, Math.max(maxTokens, longest), quantum) };
  };
  const apart = layoutOf(requests.map((r, i) => ({ group: { context: r.context, continuations: [r.continuation] }, members: [i] })));
  if (!shareCost) return apart;
  const shared = layoutOf(groupBySharedContext(requests));
  // (A cost of 0 for every window, as shareContext: 'always' gives, always shares.)
  if (shared.groups.length === apart.groups.length) return apart;
  return shared.groups.length * shareCost(shared.T) <= apart.groups.length * shareCost(apart.T) ? shared : apart;
}

export type Group = { group: { context: Int32Array; continuations: Int32Array[] }; members: number[] };

/** Consecutive requests with the same context (a multiple-choice item's options, as scoreItems orders them) become one group. */
function groupBySharedContext(requests: readonly ContinuationRequest[]): Group[] {
  const runs: Group[] = [];
  requests.forEach((r, i) => {
    const last = runs[runs.length - 1];
    if (last && sameTokens(last.group.context, r.context)) {
      last.group.continuations.push(r.continuation);
      last.members.push(i);
    } else {
      runs.push({ group: { context: r.context, continuations: [r.continuation] }, members: [i] });
    }
  });
  return runs;
}

function sameTokens(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
