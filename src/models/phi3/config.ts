/**
 * One Phi-3 decoder layer's shape, under transformers' `Phi3Config` meanings (4.43, the
 * version LibMoE pins): Phi-3 / Phi-3.5-mini are the language models of LibMoE's VLMs.
 */
export interface Phi3LayerConfig {
  /** `hidden_size` D. */
  readonly hidden: number;
  /** `num_attention_heads` H; head_dim = D / H. */
  readonly heads: number;
  /** `num_key_value_heads`: grouped-query attention when < H (each kv head serves H / kvHeads query heads). */
  readonly kvHeads: number;
  /** `intermediate_size` I of the gated MLP. */
  readonly intermediate: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly maxPositionEmbeddings: number;
  readonly originalMaxPositionEmbeddings: number;
  /** null: plain RoPE; longrope: Phi-3.5's per-frequency factors (LongRoPE). */
  readonly ropeScaling: LongRopeScaling | null;
}

/** `rope_scaling = {type: 'longrope', short_factor, long_factor}`, one factor per frequency (head_dim / 2). */
export interface LongRopeScaling {
  readonly type: 'longrope';
  readonly shortFactor: readonly number[];
  readonly longFactor: readonly number[];
}

export function headDim(c: Phi3LayerConfig): number {
  if (c.hidden % c.heads !== 0) throw new Error(`phi3: hidden ${c.hidden} is not a multiple of heads ${c.heads}`);
  if (c.heads % c.kvHeads !== 0) throw new Error(`phi3: heads ${c.heads} is not a multiple of kv heads ${c.kvHeads}`);
  return c.hidden / c.heads;
}

/**
 * How fresh parameters start: `seeded` as Phi3PreTrainedModel initialises them (N(0, 0.02)
 * from the seed), `zeros` when a checkpoint overwrites every one of them anyway (a 3.8B-
 * parameter Phi-3 then skips billions of random draws).
 */
export type Phi3Init = 'seeded' | 'zeros';
