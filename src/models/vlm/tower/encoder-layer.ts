import { tf, type Tensor, type Tensor2D, type Tensor3D } from '../../tf.js';
import { activate } from '../../kernels/activations.js';
import { layerNorm } from '../../lm/layer-norm.js';
import type { MoeCallContext, MoeLayer, MoeOutput } from '../../moe/types.js';
import type { VisionTowerConfig } from './tower-config.js';
import { linear, vitSelfAttention } from './vit-attention.js';

/** A parameter of the tower by its state_dict name (throws on a name the tower lacks). */
export type ParamLookup = (name: string) => Tensor;

/** What one encoder layer gives: its output, and its MoE layer's output when it has one. */
export interface EncoderLayerResult {
  /** [B·T, D]. */
  readonly h: Tensor2D;
  readonly moe?: MoeOutput;
}

/**
 * One pre-LN encoder layer (HF `CLIPEncoderLayer` / `SiglipEncoderLayer`, LibMoE's
 * `*EncoderMoELayer`), h [B·T, D] with the layer's names under `prefix`:
 *   h ← h + attn(layer_norm1(h));  h ← h + mlp(layer_norm2(h))
 * where mlp is `fc2(act(fc1(·)))`, or with `moe` the MoE layer's Σ_k w_k·expert_k(·).
 */
export function encoderLayer(
  h: Tensor2D, p: ParamLookup, prefix: string, cfg: VisionTowerConfig, batch: number,
  moe?: { readonly layer: MoeLayer; readonly ctx: MoeCallContext },
): EncoderLayerResult {
  const lin = (name: string) => ({ weight: p(`${prefix}${name}.weight`), bias: p(`${prefix}${name}.bias`) });
  const ln = (name: string, x: Tensor2D) => layerNorm(x, p(`${prefix}${name}.weight`), p(`${prefix}${name}.bias`), cfg.layerNormEps);
  const attn = vitSelfAttention(ln('layer_norm1', h), {
    q: lin('self_attn.q_proj'), k: lin('self_attn.k_proj'), v: lin('self_attn.v_proj'), out: lin('self_attn.out_proj'),
  }, batch, cfg.heads);
  const h1 = tf.add(h, attn) as Tensor2D;
  const x2 = ln('layer_norm2', h1);
  if (!moe) {
    const mlp = linear(activate(cfg.activation, linear(x2, lin('mlp.fc1'))), lin('mlp.fc2'));
    return { h: tf.add(h1, mlp) as Tensor2D };
  }
  const seqLen = h.shape[0] / batch;
  const out = moe.layer.apply(tf.reshape(x2, [batch, seqLen, cfg.hidden]) as Tensor3D, moe.ctx);
  return { h: tf.add(h1, tf.reshape(out.y, [batch * seqLen, cfg.hidden])) as Tensor2D, moe: out };
}
