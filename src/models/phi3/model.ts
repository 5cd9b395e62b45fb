import { tf, type Tensor1D, type Tensor2D, type Tensor3D, type Variable } from '../tf.js';
import { Rng } from '../../base/random.js';
import { normalArray, ParamFactory } from '../moe/init.js';
import { matMul2D } from '../kernels/fast-matmul.js';
import { embeddingLookup } from '../lm/embedding.js';
import type { MoeCallContext } from '../moe/types.js';
import type { EmbeddingLayout, LanguageModel, LanguageModelForward } from '../vlm/language-model.js';
import { assignNamedParams, type NamedParams } from '../checkpoint/named-params.js';
import { Phi3DecoderLayer } from './decoder-layer.js';
import { phi3LayerInputs } from './layer-inputs.js';
import type { Phi3Init } from './config.js';
import { checkPhi3ModelConfig, type Phi3ModelConfig } from './model-config.js';
import { EMBED_TOKENS, FINAL_NORM, LM_HEAD, phi3LayerPrefix } from './param-names.js';
import { rmsNorm } from './rms-norm.js';

/**
 * transformers 4.43 `Phi3ForCausalLM` in eval (no dropout, no cache): embed_tokens → N
 * Phi3DecoderLayers → RMSNorm → lm_head, with its state_dict names (`model.embed_tokens.weight`,
 * `model.layers.{i}.…`, `model.norm.weight`, `lm_head.weight`), so a Phi-3 / Phi-3.5-mini
 * checkpoint loads by name (checkpoint/hf). Dense: `moe` is always empty.
 */
export class Phi3Model implements LanguageModel {
  readonly params: ReadonlyMap<string, Variable>;
  readonly layers: readonly Phi3DecoderLayer[];
  readonly dModel: number;
  readonly vocabSize: number;

  /**
   * Initialised as Phi3PreTrainedModel does: Linear and Embedding N(0, 0.02), the padding
   * row zero, RMSNorm weights 1. Each layer draws from its own seed derived from `seed`.
   * `init: 'zeros'` skips the draws (Linear and Embedding 0) for a checkpoint to overwrite.
   */
  constructor(readonly config: Phi3ModelConfig, seed = 0, opts: { readonly init?: Phi3Init } = {}) {
    checkPhi3ModelConfig(config);
    const c = config;
    this.dModel = c.hidden;
    this.vocabSize = c.vocabSize;
    const pf = new ParamFactory(seed, '');
    const params = new Map<string, Variable>();
    const init = opts.init ?? 'seeded';
    const normal = (name: string, n: number): Float32Array => (init === 'zeros' ? new Float32Array(n) : normalArray(Rng.derive(seed, name), n, 0.02));
    const embed = normal(EMBED_TOKENS, c.vocabSize * c.hidden);
    if (c.padTokenId !== null && c.padTokenId >= 0 && c.padTokenId < c.vocabSize) embed.fill(0, c.padTokenId * c.hidden, (c.padTokenId + 1) * c.hidden);
    params.set(EMBED_TOKENS, pf.fromArray(EMBED_TOKENS, [c.vocabSize, c.hidden], embed));
    this.layers = Array.from({ length: c.layers }, (_, i) => {
      const layer = new Phi3DecoderLayer(c, Rng.derive(seed, 'phi3.layer', i).nextUint32(), init);
      for (const [name, v] of layer.variables) params.set(`${phi3LayerPrefix(i)}${name}`, v);
      return layer;
    });
    params.set(FINAL_NORM, pf.fromArray(FINAL_NORM, [c.hidden], new Float32Array(c.hidden).fill(1)));
    if (!c.tieWordEmbeddings) params.set(LM_HEAD, pf.fromArray(LM_HEAD, [c.vocabSize, c.hidden], normal(LM_HEAD, c.vocabSize * c.hidden)));
    this.params = params;
  }

  /** `model.embed_tokens.weight` [V, D] (also the output head when the embeddings are tied). */
  embeddingMatrix(): Variable {
    return this.params.get(EMBED_TOKENS)!;
  }

  /**
   * ids [B·T] int32, row-major → logits [B·T, V] (Phi3ForCausalLM.forward without labels).
   * Call inside a tape or tidy.
   */
  forward(ids: Tensor1D, batch: number, seqLen: number, layout?: EmbeddingLayout): LanguageModelForward {
    if (ids.shape[0] !== batch * seqLen) throw new Error(`phi3: ${ids.shape[0]} token ids for ${batch}×${seqLen}`);
    return this.decode(embeddingLookup(this.embeddingMatrix(), ids), batch, seqLen, layout);
  }

  /** h [B·T, D] input embeddings (a spliced VLM batch, right-padded) → logits [B·T, V]. */
  forwardEmbeddings(h: Tensor2D, batch: number, seqLen: number, _ctx: MoeCallContext, layout?: EmbeddingLayout): LanguageModelForward {
    return this.decode(h, batch, seqLen, layout);
  }

  /** Overwrites parameters by state_dict name (see assignNamedParams); errors name the parameter. */
  load(params: NamedParams, opts: { partial?: boolean } = {}): void {
    assignNamedParams(`phi3 model`, this.params, params, opts);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }

  private decode(h: Tensor2D, batch: number, seqLen: number, layout: EmbeddingLayout | undefined): LanguageModelForward {
    const c = this.config;
    if (h.shape[0] !== batch * seqLen || h.shape[1] !== c.hidden) throw new Error(`phi3: embeddings [${h.shape.join(', ')}], expected [${batch * seqLen}, ${c.hidden}]`);
    if (c.slidingWindow && seqLen > c.slidingWindow + 1) {
      throw new Error(`phi3: ${seqLen} tokens exceed sliding_window ${c.slidingWindow} + 1; sliding-window attention is not implemented`);
    }
    const mask = layout?.attentionMask ?? null;
    if (mask && mask.length !== batch * seqLen) throw new Error(`phi3: attention mask of ${mask.length} for ${batch}×${seqLen} tokens`);
    const inputs = phi3LayerInputs(c, batch, seqLen, mask, layout?.positions);
    let x = tf.reshape(h, [batch, seqLen, c.hidden]) as Tensor3D;
    for (const layer of this.layers) x = layer.applyWith(x, inputs).output;
    const final = rmsNorm(tf.reshape(x, [batch * seqLen, c.hidden]) as Tensor2D, this.params.get(FINAL_NORM)!, c.rmsNormEps);
    const head = this.params.get(c.tieWordEmbeddings ? EMBED_TOKENS : LM_HEAD)! as unknown as Tensor2D;
    return { logits: matMul2D(final, tf.transpose(head) as Tensor2D), moe: [] };
  }
}
