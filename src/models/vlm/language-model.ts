/**
 * The language-model half of a vision-language model, as the VLM needs it: token embeddings the
 * splice gathers from, and a decoder that takes already-spliced input embeddings. Implemented by
 * moeflow's TransformerLM (LibMoE's LM) and by the Phi-3 decoder (src/models/phi3), so the VLM
 * does not care which it wraps.
 */
import type { Tensor2D, Variable } from '../tf.js';
import type { MoeCallContext, MoeOutput } from '../moe/types.js';

export interface LanguageModelForward {
  /** [B·T, V] next-token logits. */
  readonly logits: Tensor2D;
  /** One entry per MoE block of the decoder, in block order (empty for a dense decoder). */
  readonly moe: readonly { readonly layer: number; readonly out: MoeOutput }[];
}

/** How the rows of a spliced batch are laid out: right-padded rows of real tokens. */
export interface EmbeddingLayout {
  /** [B·T] position ids (default 0..T−1 in every row). */
  readonly positions?: Int32Array;
  /** [B·T] 1 for a real token, 0 for padding (default all real). Right padding needs no mask for
   *  the real tokens' outputs under causal attention; a decoder may still use it (Phi-3 does). */
  readonly attentionMask?: Uint8Array;
}

export interface LanguageModel {
  readonly dModel: number;
  readonly vocabSize: number;
  /** The token-embedding matrix [V, D]: the splice gathers text rows from it (gradients flow into it). */
  embeddingMatrix(): Variable;
  /** h: [B·T, D] input embeddings (text rows and image-feature rows already spliced). */
  forwardEmbeddings(h: Tensor2D, batch: number, seqLen: number, ctx: MoeCallContext, layout?: EmbeddingLayout): LanguageModelForward;
  /** Every parameter by its checkpoint name (HF names for Phi-3). */
  readonly params: ReadonlyMap<string, Variable>;
  dispose(): void;
}
