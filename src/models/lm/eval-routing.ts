/**
 * Eval-time routing logs (LibMoE's lmms-eval logging, libmoe.md §6.3): what each MoE layer did
 * with one scored sequence. The recorder hooks LmContinuationScorer's `onMoe`; it is exact when
 * every forward holds one unpadded sequence (batch 1, quantum 1 — LibMoE also evaluates with
 * batch size 1 when it logs), because the layer's statistics are sums over the call's tokens.
 */
import { tf, type Scalar, type Tensor } from '../tf.js';
import type { MoeOutput } from '../moe/types.js';
import type { RowLayout } from './score-continuations.js';

/** One MoE layer on one sequence. Means are over the sequence's tokens. */
export interface LayerRouting {
  readonly layer: number;
  readonly tokens: number;
  /** Mean entropy (nats) of the renormalised top-k gate weights. */
  readonly entropyTopK: number;
  /** Mean entropy (nats) of the full router distribution. */
  readonly entropyFull: number;
  /** Mean top-1 − top-2 router probability. */
  readonly margin: number;
  /** Per router index: tokens whose first pick it is, and token-slots over all K picks. */
  readonly top1Counts: readonly number[];
  readonly topKCounts: readonly number[];
  /** Each aux loss as the router reports it (balance_loss, router_z_loss, ...). */
  readonly aux: Readonly<Record<string, number>>;
}

/** The routes of one layer for every input position of the sequence. */
export interface LayerRoutes {
  readonly layer: number;
  readonly k: number;
  /** [tokens · k] router indices and gate weights, row-major. */
  readonly experts: Int32Array;
  readonly weights: Float32Array;
}

interface Pending {
  readonly layer: number;
  readonly tokens: number;
  readonly k: number;
  readonly scalars: Scalar[];
  readonly counts: Tensor[];
  readonly auxNames: string[];
  readonly aux: Scalar[];
  readonly experts?: Int32Array;
  readonly gates?: Tensor;
}

export class EvalRoutingRecorder {
  private pending: Pending[] = [];
  /** Keep per-token routes of the next forward (set by the caller for sampled items). */
  captureRoutes = false;

  /** For ScorerOptions.onMoe: runs inside the forward's tidy, so it keeps what it reads later. */
  readonly onMoe = (moe: readonly { readonly layer: number; readonly out: MoeOutput }[], rows: readonly RowLayout[], seqLen: number): void => {
    if (rows.length !== 1 || rows[0]!.length !== seqLen) throw new Error('routing logs need one unpadded sequence per forward (batch size 1, quantum 1)');
    for (const { layer, out } of moe) {
      const s = out.stats;
      const auxNames = Object.keys(out.aux);
      this.pending.push({
        layer, tokens: seqLen, k: out.k,
        scalars: [s.entropyTopKSum, s.entropyFullSum, s.marginSum].map((t) => tf.keep(t)),
        counts: [tf.keep(s.top1Count), tf.keep(s.tokenSlots)],
        auxNames,
        aux: auxNames.map((n) => tf.keep(out.aux[n]!)),
        ...(this.captureRoutes ? { experts: Int32Array.from(out.selected), gates: tf.keep(out.gates) } : {}),
      });
    }
  };

  /** The layers of the forwards since the last take, read back and released. */
  async take(): Promise<{ layers: LayerRouting[]; routes: LayerRoutes[] }> {
    const pending = this.pending;
    this.pending = [];
    const layers: LayerRouting[] = [];
    const routes: LayerRoutes[] = [];
    for (const p of pending) {
      const [et, ef, m] = await Promise.all(p.scalars.map((t) => t.data()));
      const [top1, slots] = await Promise.all(p.counts.map((t) => t.data()));
      const aux = await Promise.all(p.aux.map((t) => t.data()));
      layers.push({
        layer: p.layer, tokens: p.tokens,
        entropyTopK: et![0]! / p.tokens, entropyFull: ef![0]! / p.tokens, margin: m![0]! / p.tokens,
        top1Counts: Array.from(top1!, Math.round), topKCounts: Array.from(slots!, Math.round),
        aux: Object.fromEntries(p.auxNames.map((n, i) => [n, aux[i]![0]!])),
      });
      if (p.experts && p.gates) routes.push({ layer: p.layer, k: p.k, experts: p.experts, weights: (await p.gates.data()) as Float32Array });
      tf.dispose([...p.scalars, ...p.counts, ...p.aux, ...(p.gates ? [p.gates] : [])]);
    }
    return { layers, routes };
  }
}
