/**
 * transformers 4.43 `Phi3Config` (config.json, `model_type: "phi3"`) → Phi3ModelConfig.
 * Absent keys take Phi3Config's defaults; what the eval-mode decoder cannot honour is refused.
 */
import type { LongRopeScaling } from '../../phi3/config.js';
import type { Phi3ModelConfig } from '../../phi3/model-config.js';
import type { HfConfig } from './hf-config.js';

export function phi3ConfigFromHf(cfg: HfConfig): Phi3ModelConfig {
  const type = cfg.str('model_type');
  if (type !== 'phi3') cfg.fail('model_type', `is '${type}'; a Phi-3 checkpoint has 'phi3'`);
  const act = cfg.str('hidden_act', 'silu');
  if (act !== 'silu') cfg.fail('hidden_act', `is '${act}'; Phi3MLP here uses 'silu'`);
  // Phi-4-mini's partial rotary embedding is not Phi-3's (and not in transformers 4.43).
  if (cfg.has('partial_rotary_factor') && cfg.num('partial_rotary_factor') !== 1) cfg.fail('partial_rotary_factor', `is ${cfg.num('partial_rotary_factor')}; only full-head RoPE (1) is supported`);
  const heads = cfg.int('num_attention_heads', 32);
  const maxPositionEmbeddings = cfg.int('max_position_embeddings', 4096);
  return {
    vocabSize: cfg.int('vocab_size', 32064),
    hidden: cfg.int('hidden_size', 3072),
    intermediate: cfg.int('intermediate_size', 8192),
    layers: cfg.int('num_hidden_layers', 32),
    heads,
    kvHeads: cfg.int('num_key_value_heads', heads),
    rmsNormEps: cfg.num('rms_norm_eps', 1e-5),
    ropeTheta: cfg.num('rope_theta', 10000),
    maxPositionEmbeddings,
    originalMaxPositionEmbeddings: cfg.int('original_max_position_embeddings', 4096),
    ropeScaling: ropeScaling(cfg),
    tieWordEmbeddings: cfg.bool('tie_word_embeddings', false),
    padTokenId: cfg.nullableInt('pad_token_id', 32000, 0),
    slidingWindow: cfg.nullableInt('sliding_window', null, 1),
  };
}

/**
 * `rope_scaling`: null, or LongRoPE (`type`/`rope_type` 'longrope'; early Phi-3 128k configs
 * call it 'su', the same formula) with one short and one long factor per frequency.
 */
function ropeScaling(cfg: HfConfig): LongRopeScaling | null {
  if (cfg.raw('rope_scaling') === undefined || cfg.raw('rope_scaling') === null) return null;
  const s = cfg.section('rope_scaling');
  const type = s.has('type') ? s.str('type') : s.str('rope_type');
  if (type !== 'longrope' && type !== 'su') s.fail(s.has('type') ? 'type' : 'rope_type', `is '${type}'; Phi-3's 'longrope' (or 'su') is supported`);
  const factors = (key: string): number[] => {
    const v = s.raw(key);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number')) s.fail(key, v === undefined ? 'is missing' : 'must be a list of numbers');
    return v as number[];
  };
  return { type: 'longrope', shortFactor: factors('short_factor'), longFactor: factors('long_factor') };
}
