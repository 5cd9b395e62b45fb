/**
 * Runner of the Phi-3 decoder-layer cases (README §9.3 Phi-3): transformers 4.43's
 * Phi3DecoderLayer with RoPE / LongRoPE and the causal + right-padding mask; objective
 * Σ output·R, differentiated with respect to hidden_states and every parameter.
 */
import { tf, type Tensor3D } from '../../../src/models/tf.js';
import { Phi3DecoderLayer } from '../../../src/models/phi3/decoder-layer.js';
import type { Phi3LayerConfig } from '../../../src/models/phi3/config.js';
import type { Check } from '../compare.js';
import { checkExpected, type Got } from './check-expected.js';
import { int32, type ModelCase } from './model-case.js';
import { floatInput, gradsInto, input, inputVariable, loadParams } from './runner-support.js';

interface CaseConfig {
  D: number; heads: number; kv_heads: number; I: number; rms_norm_eps: number; rope_theta: number;
  max_position_embeddings: number; original_max_position_embeddings: number;
  rope_scaling: null | { type: 'longrope'; short_factor: number[]; long_factor: number[] };
}

export function phi3Config(c: ModelCase): Phi3LayerConfig {
  const k = c.config as unknown as CaseConfig;
  const s = k.rope_scaling;
  return {
    hidden: k.D, heads: k.heads, kvHeads: k.kv_heads, intermediate: k.I, rmsNormEps: k.rms_norm_eps, ropeTheta: k.rope_theta,
    maxPositionEmbeddings: k.max_position_embeddings, originalMaxPositionEmbeddings: k.original_max_position_embeddings,
    ropeScaling: s ? { type: 'longrope', shortFactor: s.short_factor, longFactor: s.long_factor } : null,
  };
}

/** transformers' [T, hd] tables repeat the [T, hd/2] half (emb = cat(freqs, freqs)). */
function fullTable(half: Float32Array, h: number): Float32Array {
  const t = half.length / h;
  const out = new Float32Array(t * 2 * h);
  for (let i = 0; i < t; i++) {
    out.set(half.subarray(i * h, (i + 1) * h), i * 2 * h);
    out.set(half.subarray(i * h, (i + 1) * h), i * 2 * h + h);
  }
  return out;
}

export function runPhi3Layer(c: ModelCase): Check[] {
  const layer = new Phi3DecoderLayer(phi3Config(c));
  const x = inputVariable(c, 'hidden_states');
  const r = floatInput(c, 'R');
  const mask = int32(input(c, 'attention_mask'));
  const got = new Map<string, Got>();
  try {
    loadParams(c, layer.variables);
    const { value, grads } = tf.variableGrads(() => {
      const out = layer.apply(x as unknown as Tensor3D, mask);
      got.set('output', out.output.dataSync()).set('input_layernorm_output', out.inputLayernormOutput.dataSync())
        .set('attn_output', out.attnOutput.dataSync()).set('post_attention_layernorm_output', out.postAttentionLayernormOutput.dataSync())
        .set('mlp_output', out.mlpOutput.dataSync())
        .set('rope_cos', fullTable(out.rope.cos, out.rope.half)).set('rope_sin', fullTable(out.rope.sin, out.rope.half))
        .set('attention_allowed', out.attentionAllowed);
      return tf.sum(tf.mul(out.output, r)) as tf.Scalar;
    }, [x, ...layer.variables.values()]);
    got.set('objective', value.dataSync()[0]!);
    gradsInto(got, grads, new Map([['hidden_states', x]]), layer.variables);
    tf.dispose([value, ...Object.values(grads)]);
    return checkExpected(c, got);
  } finally {
    tf.dispose([x, r]);
    layer.dispose();
  }
}
