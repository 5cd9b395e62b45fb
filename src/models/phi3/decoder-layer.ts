import { tf, type Tensor2D, type Tensor3D, type Variable } from '../tf.js';
import { ParamFactory } from '../moe/init.js';
import { phi3Attention } from './attention.js';
import { headDim, type Phi3Init, type Phi3LayerConfig } from './config.js';
import { phi3Mlp } from './mlp.js';
import { rmsNorm } from './rms-norm.js';
import { phi3LayerInputs, type Phi3LayerInputs } from './layer-inputs.js';

/** A decoder layer's output and the intermediates transformers' modules return on the way. */
export interface Phi3LayerOutput {
  /** [B, T, D]. */
  readonly output: Tensor3D;
  readonly inputLayernormOutput: Tensor3D;
  /** self_attn's output (after o_proj), before the residual add. */
  readonly attnOutput: Tensor3D;
  readonly postAttentionLayernormOutput: Tensor3D;
  /** mlp's output, before the residual add. */
  readonly mlpOutput: Tensor3D;
  /** The host tables this call used: cos and sin [T, hd/2] (with explicit positions [B·T, hd/2]),
   *  and [B, T, T] 0/1 allowed attention. */
  readonly rope: { readonly cos: Float32Array; readonly sin: Float32Array; readonly half: number };
  readonly attentionAllowed: Uint8Array;
}

/**
 * transformers 4.43 `Phi3DecoderLayer` (eager attention, no dropout, no cache):
 *   h = x + o_proj(attn(RMSNorm₁(x)));  out = h + down(up ⊙ silu(gate)) on RMSNorm₂(h).
 * Parameters carry transformers' names (`self_attn.qkv_proj.weight`, `mlp.gate_up_proj.weight`,
 * `input_layernorm.weight`, …, without the `model.layers.{i}.` prefix), so a Phi-3 checkpoint
 * maps onto them by name. Positions are 0..T−1 as Phi3Model uses when LLaVA passes none.
 */
export class Phi3DecoderLayer {
  readonly variables: ReadonlyMap<string, Variable>;
  private readonly v: Record<'qkv' | 'o' | 'gateUp' | 'down' | 'ln1' | 'ln2', Variable>;

  /** Initialised as Phi3PreTrainedModel does: Linear N(0, 0.02), RMSNorm weights 1 (`zeros`: Linear 0). */
  constructor(readonly config: Phi3LayerConfig, seed = 0, init: Phi3Init = 'seeded') {
    const c = config;
    const hd = headDim(c);
    const pf = new ParamFactory(seed, '');
    const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
    const linear = (name: string, shape: [number, number]): Variable =>
      init === 'zeros' ? pf.fromArray(name, shape, new Float32Array(shape[0] * shape[1])) : pf.normal(name, shape, 0.02);
    this.v = {
      qkv: linear('self_attn.qkv_proj.weight', [(c.heads + 2 * c.kvHeads) * hd, c.hidden]),
      o: linear('self_attn.o_proj.weight', [c.hidden, c.heads * hd]),
      gateUp: linear('mlp.gate_up_proj.weight', [2 * c.intermediate, c.hidden]),
      down: linear('mlp.down_proj.weight', [c.hidden, c.intermediate]),
      ln1: pf.fromArray('input_layernorm.weight', [c.hidden], ones(c.hidden)),
      ln2: pf.fromArray('post_attention_layernorm.weight', [c.hidden], ones(c.hidden)),
    };
    this.variables = new Map([
      ['self_attn.qkv_proj.weight', this.v.qkv], ['self_attn.o_proj.weight', this.v.o],
      ['mlp.gate_up_proj.weight', this.v.gateUp], ['mlp.down_proj.weight', this.v.down],
      ['input_layernorm.weight', this.v.ln1], ['post_attention_layernorm.weight', this.v.ln2],
    ]);
  }

  /**
   * hidden [B, T, D], attentionMask [B·T] 1 real / 0 padding (null: none), positions [B·T]
   * position ids (default 0..T−1 in every row) → the layer output. Call inside a tape or tidy.
   */
  apply(hidden: Tensor3D, attentionMask: ArrayLike<number> | null, positions?: ArrayLike<number>): Phi3LayerOutput {
    return this.applyWith(hidden, phi3LayerInputs(this.config, hidden.shape[0], hidden.shape[1], attentionMask, positions));
  }

  /** The same with the tables and masks already built (shared by every layer of a model). */
  applyWith(hidden: Tensor3D, inputs: Phi3LayerInputs): Phi3LayerOutput {
    const c = this.config;
    const [b, t, d] = hidden.shape;
    if (d !== c.hidden) throw new Error(`phi3 layer: input width ${d}, expects ${c.hidden}`);
    if (b !== inputs.batch || t !== inputs.seqLen) throw new Error(`phi3 layer: input [${b}, ${t}], layer inputs built for [${inputs.batch}, ${inputs.seqLen}]`);
    const hd = headDim(c);
    const consts = inputs.consts;
    const x = tf.reshape(hidden, [b * t, d]) as Tensor2D;
    const ln1 = rmsNorm(x, this.v.ln1, c.rmsNormEps);
    const attn = phi3Attention(ln1, { qkv: this.v.qkv, o: this.v.o }, consts, { batch: b, seqLen: t, heads: c.heads, kvHeads: c.kvHeads, headDim: hd });
    const h = tf.add(x, attn) as Tensor2D;
    const ln2 = rmsNorm(h, this.v.ln2, c.rmsNormEps);
    const mlp = phi3Mlp(ln2, { gateUp: this.v.gateUp, down: this.v.down });
    const out = tf.add(h, mlp) as Tensor2D;
    const as3 = (y: Tensor2D): Tensor3D => tf.reshape(y, [b, t, d]) as Tensor3D;
    return {
      output: as3(out), inputLayernormOutput: as3(ln1), attnOutput: as3(attn), postAttentionLayernormOutput: as3(ln2), mlpOutput: as3(mlp),
      rope: inputs.rope, attentionAllowed: inputs.attentionAllowed,
    };
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}
