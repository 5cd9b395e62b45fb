import { headDim, type Phi3LayerConfig } from './config.js';

/**
 * A whole Phi-3 decoder (transformers 4.43 `Phi3ForCausalLM`): the layer shape plus what
 * surrounds the layers, under `Phi3Config`'s meanings.
 */
export interface Phi3ModelConfig extends Phi3LayerConfig {
  /** `vocab_size` V: rows of `embed_tokens` and of `lm_head`. */
  readonly vocabSize: number;
  /** `num_hidden_layers`. */
  readonly layers: number;
  /** `tie_word_embeddings`: lm_head reuses `embed_tokens.weight` (Phi-3 and Phi-3.5-mini do not). */
  readonly tieWordEmbeddings: boolean;
  /** `pad_token_id` (Embedding's padding_idx): its embedding row starts at zero. null: none. */
  readonly padTokenId: number | null;
  /**
   * `sliding_window` (Phi-3-mini-4k: 2047): a query sees at most this many earlier keys in
   * transformers' windowed attention paths. Within sliding_window + 1 tokens (LibMoE's 2048)
   * the window masks nothing, which is all this model runs: longer sequences are refused.
   */
  readonly slidingWindow?: number | null;
}

/** Refuses shapes the model cannot run, naming the field. */
export function checkPhi3ModelConfig(c: Phi3ModelConfig): void {
  for (const k of ['vocabSize', 'layers', 'hidden', 'heads', 'kvHeads', 'intermediate'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new Error(`phi3: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.slidingWindow !== undefined && c.slidingWindow !== null && !(Number.isInteger(c.slidingWindow) && c.slidingWindow > 0)) {
    throw new Error(`phi3: slidingWindow must be a positive integer or null, got ${c.slidingWindow}`);
  }
  const hd = headDim(c);
  if (hd % 2 !== 0) throw new Error(`phi3: head_dim ${hd} must be even (rotate-half RoPE)`);
  if (c.ropeScaling) {
    for (const [k, f] of [['shortFactor', c.ropeScaling.shortFactor], ['longFactor', c.ropeScaling.longFactor]] as const) {
      if (f.length !== hd / 2) throw new Error(`phi3: rope_scaling ${k} has ${f.length} factors, head_dim / 2 = ${hd / 2}`);
    }
  }
}
