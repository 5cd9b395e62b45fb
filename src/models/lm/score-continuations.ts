/**
 * Teacher-forced scoring of continuations for zero-shot evaluation (src/eval).
 *
 * Requests are packed into one [B, T] batch per call: each row is context + continuation
 * without its last token, right-padded to `padLength` (LibMoE pads to a multiple of 128), so few
 * distinct shapes reach the backend. Padding sits after every real token, and attention is
 * causal and the FFN per token, so a real position never sees it: scores do not depend on which
 * requests share a batch. (A capacity factor would let padding compete for expert slots; LibMoE's
 * LM is dropless and so is every shipped pipeline.)
 *
 * Evaluation changes nothing: the forward runs with `training: false`, and the routers keep
 * their state and parameters outside training (no DeepSeek aux-free bias update — LibMoE updates
 * it in evaluation too, moeflow does not —, no X-MoE in-place renormalisation, no ReMoE λ
 * update, Hyper-R's fixed K; test/models/moe/eval-changes-nothing.test.ts).
 */
import { tf, type Tensor1D } from '../tf.js';
import type { MoeOutput } from '../moe/types.js';
import type { ContinuationRequest, ContinuationScore, ContinuationScorer } from './continuation-types.js';
import type { TransformerLM } from './transformer-lm.js';

export interface ScorerOptions {
  /** Longest input row (the model's training window, data.seqLen). */
  readonly maxTokens: number;
  /** Rows are padded to a multiple of this many tokens (capped at maxTokens); absent: chosen
   *  per batch from its longest row (`padLength`). */
  readonly quantum?: number;
  /** Step passed to the routers (schedules); evaluation uses the checkpoint's step. */
  readonly step?: number;
  readonly totalSteps?: number;
  /** Sees each forward's MoE outputs (inside the forward's tidy) with the real-token mask: eval-time routing logs. */
  readonly onMoe?: (moe: readonly { readonly layer: number; readonly out: MoeOutput }[], rows: readonly RowLayout[], seqLen: number) => void;
}

/** Where a request's tokens are in the padded batch. */
export interface RowLayout {
  /** Real tokens in the row (context + continuation − 1); positions ≥ length are padding. */
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

  async score(requests: readonly ContinuationRequest[]): Promise<ContinuationScore[]> {
    if (requests.length === 0) return [];
    const rows = requests.map((r) => {
      if (r.context.length < 1 || r.continuation.length < 1) throw new Error('a request needs at least one context and one continuation token');
      return r.context.length + r.continuation.length - 1;
    });
    const longest = Math.max(...rows);
    if (longest > this.maxTokens) throw new Error(`a request of ${longest} input tokens exceeds the window of ${this.maxTokens}`);
    const T = padLength(longest, this.maxTokens, this.opts.quantum);
    const B = requests.length;
    const V = this.model.config.vocabSize;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    requests.forEach((r, b) => {
      const seq = [...r.context, ...r.continuation];
      for (let t = 0; t < seq.length - 1; t++) {
        inputs[b * T + t] = seq[t]!;
        targets[b * T + t] = seq[t + 1]!;
      }
    });
    const [logprobT, argmaxT] = tf.tidy(() => {
      const fwd = this.model.forward(tf.tensor1d(inputs, 'int32'), B, T, { training: false, step: this.opts.step ?? 0, totalSteps: this.opts.totalSteps ?? 1 });
      this.opts.onMoe?.(fwd.moe, rows.map((length) => ({ length })), T);
      const lsm = tf.logSoftmax(fwd.logits);
      const flat = tf.tensor1d(Int32Array.from(targets, (tgt, i) => i * V + tgt), 'int32');
      return [tf.gather(tf.reshape(lsm, [-1]), flat) as Tensor1D, tf.argMax(fwd.logits, 1) as Tensor1D];
    });
    const [lp, am] = await Promise.all([logprobT.data() as Promise<Float32Array>, argmaxT.data() as Promise<Int32Array>]);
    tf.dispose([logprobT, argmaxT]);
    return requests.map((r, b) => {
      const c = r.context.length;
      const n = r.continuation.length;
      let contextLogprob = 0;
      // Input position t predicts token t+1: context tokens 1..c−1 at t = 0..c−2, continuation at t = c−1..c+n−2.
      for (let t = 0; t < c - 1; t++) contextLogprob += lp[b * T + t]!;
      const tokenLogprobs = new Float64Array(n);
      const greedy = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        tokenLogprobs[i] = lp[b * T + c - 1 + i]!;
        greedy[i] = am[b * T + c - 1 + i]!;
      }
      return { tokenLogprobs, contextLogprob, greedy };
    });
  }
}
