import { tf, type Tensor2D, type Variable } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';
import { numberOption } from '../options.js';
import type { MoeLayerSpec } from '../types.js';
import { l2Normalize, linear, renormaliseRowsInPlace, rowsRenormalised } from './common.js';

/** X-MoE's router constants (LibMoE xmoe.py and moe_layer_xmoe.py use the same ones). */
export interface XmoeOptions {
  /** ⌊E/2⌋: width of the reduced space and of the expert embeddings. */
  readonly dims: number;
  readonly temperature: number;
  readonly embeddingNorm: number;
  readonly cosineEps: number;
}

const TEMPERATURE = numberOption('temperature', 0.3, 'τ in p = softmax(cos/τ)');
const EMBEDDING_NORM = numberOption('embedding_norm', 1.5, 'norm the expert embeddings are renormalised to at every forward');
const COSINE_EPS = numberOption('cosine_eps', 1e-4, 'ε in h/max(‖h‖, ε)');
export const XMOE_OPTIONS = [TEMPERATURE, EMBEDDING_NORM, COSINE_EPS] as const;

export function xmoeOptions(spec: MoeLayerSpec): XmoeOptions {
  return {
    dims: Math.floor(spec.nExperts / 2),
    temperature: TEMPERATURE.read(spec),
    embeddingNorm: EMBEDDING_NORM.read(spec),
    cosineEps: COSINE_EPS.read(spec),
  };
}

/**
 * X-MoE's cosine scores, shared by the VLM and LM layers: the embeddings are renormalised to
 * `embeddingNorm` (no gradient), h = x·Rᵀ, l = ⟨h/max(‖h‖, eps), ê⟩, p = softmax(l/τ).
 * In training the renormalisation is written back into the variable, as LibMoE does in place;
 * outside training the scores use a renormalised copy, so evaluation leaves the parameters as
 * the checkpoint has them (the scores are the same either way). A routing probe (routing-reads.ts)
 * also uses the copy: the same bits the in-place write will hold, with the write left to the
 * forward that follows it.
 */
export function xmoeCosine(x: Tensor2D, reduction: Variable, embeddings: Variable, o: XmoeOptions, training: boolean, probe = false): { h: Tensor2D; l: Tensor2D; p: Tensor2D } {
  let e: Tensor2D = embeddings as unknown as Tensor2D;
  if (training && !probe) renormaliseRowsInPlace(embeddings, o.embeddingNorm);
  else e = rowsRenormalised(embeddings as unknown as Tensor2D, o.embeddingNorm);
  const h = linear(x, reduction);
  const l = matMul2D(l2Normalize(h, o.cosineEps), tf.transpose(e) as Tensor2D);
  const p = tf.softmax(tf.div(l, o.temperature) as Tensor2D);
  return { h, l, p };
}
