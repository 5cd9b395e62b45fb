import type { Json } from '../../base/json.js';
import { EXPERT_CHOICES, type ExpertChoice } from '../moe/registry.js';

/** The FFN of a block: dense ReLU MLP, or an MoE layer from the router registry. */
export type FfnConfig =
  | { readonly kind: 'dense'; readonly hidden: number }
  | {
      readonly kind: 'moe';
      /** Registry name, LibMoE's own (e.g. 'moe_layer', 'moe_layer_xmoe'). */
      readonly algorithm: string;
      readonly nExperts: number;
      readonly topK: number;
      /** Expert hidden size s (LibMoE `moe.expert_size`; the GELU MLP's hidden H for VLM routers). */
      readonly expertSize: number;
      /** Expert FFN family. 'auto' (default): the kind the router declares (its LibMoE stack's, moe/registry.ts). */
      readonly expert?: ExpertChoice;
      /** MoE in every n-th block (1 = every block); the others get a dense FFN of width K·s. */
      readonly every?: number;
      /** Router options under LibMoE's names (perplexity_reg, selection_mode, ...). */
      readonly options?: Readonly<Record<string, Json>>;
      readonly capacityFactor?: number;
      /** Width of the dense FFN in non-MoE blocks (every > 1). Default K·s (compute-matched); an upcycled model keeps its dense width. */
      readonly denseHidden?: number;
    };

/** A pre-LN decoder-only Transformer LM (LibMoE `preln_rope` / `preln_moe`). */
export interface LmConfig {
  readonly vocabSize: number;
  /** LibMoE `state_size`. */
  readonly dModel: number;
  readonly nLayers: number;
  /** LibMoE `transformer.n_heads`. */
  readonly nHeads: number;
  /** Per-head projection size (LibMoE `transformer.head_projection_size`; 82 at 154M). Default dModel / nHeads. */
  readonly headDim?: number;
  /** Fraction of each head's dims that RoPE rotates (rounded down to even). LibMoE: 0.5. */
  readonly ropeFraction?: number;
  readonly ropeBase?: number;
  readonly ffn: FfnConfig;
  /** Seed of every initial weight (host-generated, backend-independent). */
  readonly seed: number;
  readonly layerNormEps?: number;
}

/** Config with every optional field resolved. */
export interface ResolvedLmConfig extends Required<Omit<LmConfig, 'ffn'>> {
  readonly ffn: FfnConfig;
}

export function resolveLmConfig(c: LmConfig): ResolvedLmConfig {
  const headDim = c.headDim ?? Math.floor(c.dModel / c.nHeads);
  for (const [k, v] of Object.entries({ vocabSize: c.vocabSize, dModel: c.dModel, nLayers: c.nLayers, nHeads: c.nHeads, headDim })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`LmConfig.${k} must be a positive integer, got ${v}`);
  }
  if (c.ffn.kind === 'moe') {
    const { nExperts, topK, expertSize, every = 1 } = c.ffn;
    if (!(topK >= 1 && topK <= nExperts)) throw new Error(`LmConfig.ffn.topK must be in [1, nExperts=${nExperts}], got ${topK}`);
    if (!(expertSize > 0 && every >= 1)) throw new Error('LmConfig.ffn.expertSize and .every must be positive');
    const expert = c.ffn.expert ?? 'auto';
    if (!EXPERT_CHOICES.includes(expert)) throw new Error(`LmConfig.ffn.expert must be one of ${EXPERT_CHOICES.join(', ')}, got ${JSON.stringify(expert)}`);
  }
  return {
    vocabSize: c.vocabSize,
    dModel: c.dModel,
    nLayers: c.nLayers,
    nHeads: c.nHeads,
    headDim,
    ropeFraction: c.ropeFraction ?? 0.5,
    ropeBase: c.ropeBase ?? 10000,
    ffn: c.ffn,
    seed: c.seed,
    layerNormEps: c.layerNormEps ?? 1e-5,
  };
}

/** Whether block `layer` hosts an MoE FFN: every n-th block counting from 1 (n = 1: all). */
export function isMoeLayer(c: LmConfig, layer: number): boolean {
  return c.ffn.kind === 'moe' && (layer + 1) % (c.ffn.every ?? 1) === 0;
}

/** Width of the dense FFN in blocks without MoE: the MoE's ACTIVE width K·s (compute-matched, LibMoE §3.5). */
export function denseWidth(ffn: FfnConfig): number {
  return ffn.kind === 'dense' ? ffn.hidden : ffn.denseHidden ?? ffn.topK * ffn.expertSize;
}

/** The dense baseline of an MoE config: same everything, dense FFN of width K·s in every block. */
export function denseBaselineOf(c: LmConfig): LmConfig {
  const ffn = c.ffn;
  return { ...c, ffn: { kind: 'dense', hidden: ffn.kind === 'dense' ? ffn.hidden : ffn.topK * ffn.expertSize } };
}

/** LibMoE's 154M SlimPajama MoE (`slimpajama_moe_no_attmoe_154M_standard_lb`). */
export const LIBMOE_154M_MOE: LmConfig = {
  vocabSize: 8000,
  dModel: 512,
  nLayers: 16,
  nHeads: 4,
  headDim: 82,
  ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 66, topK: 8, expertSize: 128, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } },
  seed: 42,
};

/** LibMoE's 154M dense baseline (`slimpajama_dense_154M`): FFN 1024 = 8·128. */
export const LIBMOE_154M_DENSE: LmConfig = denseBaselineOf(LIBMOE_154M_MOE);
