import { tf, type Tensor2D, type Tensor3D } from '../../tf.js';
import { embeddingLookup } from '../../lm/embedding.js';
import { planSplice, type SpliceInput, type SpliceOptions, type SplicePlan } from './plan.js';

export interface SplicedBatch {
  /** [B, L', D]: text rows embedded, image rows the features, padding zeros. Differentiable
   *  with respect to the embedding table and the image features. */
  readonly inputsEmbeds: Tensor3D;
  readonly plan: SplicePlan;
}

/**
 * LLaVA's splice of image features into the token sequence (LibMoE
 * `prepare_inputs_labels_for_multimodal`): the host plan (plan.ts) says where every row comes
 * from; the embeddings are then the text ids' rows of `embedTokens` [V, D] and the rows of
 * `imageFeatures` [N_img, P, D] gathered into place, with gradients that scatter back to both
 * (embeddingLookup's, which work on wasm). Call inside a tape or tidy.
 */
export function spliceMultimodal(input: SpliceInput, embedTokens: Tensor2D, imageFeatures: Tensor3D, opts: Omit<SpliceOptions, 'imageTokens' | 'images'>): SplicedBatch {
  const [n, p, d] = imageFeatures.shape;
  if (d !== embedTokens.shape[1]) throw new Error(`splice: image features have width ${d}, the embeddings ${embedTokens.shape[1]}`);
  const plan = planSplice(input, { ...opts, imageTokens: p, images: n });
  // The table [text rows ; feature rows ; one zero row], then one gather into [B·L', D].
  const parts: Tensor2D[] = [];
  if (plan.textIds.length > 0) parts.push(embeddingLookup(embedTokens, tf.tensor1d(plan.textIds, 'int32')));
  if (n * p > 0) parts.push(tf.reshape(imageFeatures, [n * p, d]) as Tensor2D);
  parts.push(tf.zeros([1, d]) as Tensor2D);
  const table = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as Tensor2D);
  const rows = embeddingLookup(table, tf.tensor1d(plan.rowSource, 'int32'));
  return { inputsEmbeds: tf.reshape(rows, [plan.batchSize, plan.seqLen, d]) as Tensor3D, plan };
}
