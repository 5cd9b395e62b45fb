/** The MoE layer API for model builders: see docs/routers.md. */
export type { ExpertSpec, MoeCallContext, MoeLayer, MoeLayerSpec, MoeOutput, RoutingStatTensors } from './types.js';
export { createMoeLayer, moeAlgorithms, registerMoeAlgorithm } from './registry.js';
export { upcycleDenseFfn, type DenseFfnWeights } from './upcycle-ffn.js';
