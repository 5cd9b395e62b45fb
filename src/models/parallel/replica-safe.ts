import type { TransformerLM } from '../lm/transformer-lm.js';

/**
 * Why `model` cannot train on data-parallel replicas, or undefined when it can. A worker's
 * replica only computes gradients; the trainer's model is the one that changes. Layers that
 * change themselves during a training forward (DeepSeek's aux-free bias, ReMoE's λ: state
 * updated on every call, micro-batch after micro-batch; X-MoE's in-place renormalisation of
 * its expert embeddings) would change the replicas and not the trainer's model.
 */
export function replicaProblem(model: TransformerLM): string | undefined {
  for (const [i, layer] of model.moeLayers.entries()) {
    if (!layer) continue;
    const state = JSON.stringify(layer.state());
    if (state !== '{}') return `block ${i}'s MoE layer (${layer.spec.algorithm}) updates its state (${state.slice(0, 60)}) on every training call, micro-batch after micro-batch`;
    if (/xmoe/.test(layer.spec.algorithm)) return `block ${i}'s MoE layer (${layer.spec.algorithm}) renormalises its expert embeddings in place on every training call`;
  }
  return undefined;
}
