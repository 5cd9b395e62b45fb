/**
 * What the models side hands to the rest of the product after each optimiser step.
 * Everything here is host data (numbers and typed arrays): sinks, progress and the
 * trainer operator never see a tensor (ARCHITECTURE.md §1, §3, §4).
 */
import type { Json } from '../base/json.js';

/**
 * One training batch as the data plane produces it (src/ops/batch.ts) and the trainer
 * consumes it: packed windows of seqLen + 1 tokens, row-major, host typed arrays only.
 * The one batch type of the project: ops import it from here (ops → models is allowed).
 */
export interface TokenBatch {
  /** [batchSize, seqLen + 1] row-major token ids: inputs are [:, :-1], targets [:, 1:]. */
  readonly tokens: Int32Array;
  /** Rows (windows). */
  readonly batchSize: number;
  /** Tokens per window minus one (each row holds seqLen + 1 ids). */
  readonly seqLen: number;
  /** Optional [batchSize, seqLen + 1] domain index per token (index into `domains`), for per-domain statistics. */
  readonly domainIds?: Uint8Array;
  readonly domains?: readonly string[];
  /** Per token: document index within its window; present when the pack made them. */
  readonly segmentIds?: Int32Array;
  /** Pack output index of each row (provenance of the rows after a shuffle). */
  readonly windowIndex?: Int32Array;
}

/** Routing statistics of one MoE layer for one step, read back once per step. */
export interface LayerRoutingStats {
  readonly layer: number;
  /** Which part of the model routes (the tables' `component`): "vision layer i", "projector",
   *  "lm layer i"; absent for a language model's decoder block `layer` ("lm layer <layer>"). */
  readonly component?: string;
  /** The tokens these statistics cover: image tokens (tower patches, projector rows, a VLM
   *  decoder's image-feature rows) or text tokens; absent = text. */
  readonly modality?: 'image' | 'text';
  readonly nExperts: number;
  /** K the step's selections were made with (MoeOutput.k): Hyper-R's dynamic K in training,
   *  the routed K−1 for shared-expert variants; `selected` holds tokens·topK entries. */
  readonly topK: number;
  /** Tokens routed by this layer in this step (all micro-batches). */
  readonly tokens: number;
  /** [E] token-slots per expert (all K picks). */
  readonly tokenSlots: Float64Array;
  /** [E] first-pick counts. */
  readonly top1Count: Float64Array;
  /** [E] Σ router probability over tokens. */
  readonly probMass: Float64Array;
  /** [E] Σ gate weight over tokens. */
  readonly gateMass: Float64Array;
  /** [E] routing bias (DeepSeek aux-free), or undefined. */
  readonly bias?: Float64Array;
  /** Sums over tokens; divide by `tokens` for means. Top-k entropy in nats (normalise by log k downstream). */
  readonly entropyTopKSum: number;
  readonly entropyFullSum: number;
  readonly marginSum: number;
  readonly droppedSlots: number;
  /** This layer's auxiliary losses by LibMoE component name (balance_loss, router_z_loss, ...). */
  readonly aux: Readonly<Record<string, number>>;
  /** Host copy of selections [tokens·K] (expert ids) for overlap, per-domain and per-token tables. */
  readonly selected: Int32Array;
  /** [tokens·K] gate weights aligned with `selected`. */
  readonly gates: Float32Array;
}

export interface StepResult {
  readonly step: number;
  readonly loss: number;
  /** Σ of every layer's aux_total that entered the objective. */
  readonly auxTotal: number;
  /** Aux components summed over layers, by name. */
  readonly aux: Readonly<Record<string, number>>;
  readonly lr: number;
  readonly gradNorm: number;
  readonly tokens: number;
  /** Model FLOPs of this step (forward + backward), for MFU. */
  readonly flops: number;
  readonly msCompute: number;
  readonly msStats: number;
  readonly routing: readonly LayerRoutingStats[];
}

export interface EvalResult {
  readonly loss: number;
  readonly perplexity: number;
  readonly accuracy: number;
  readonly tokens: number;
}

/** Everything needed to continue a run exactly: weights are written by the models side into `dir`. */
export interface TrainerCheckpointMeta {
  readonly step: number;
  /** Non-tensor trainer state (RNG, schedule position, layer states like bias/λ). */
  readonly state: Json;
}
