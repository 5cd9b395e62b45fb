/** The MoE layer API for model builders: see docs/routers.md. */
export type { ExpertSpec, GeluMlpNames, MoeCallContext, MoeLayer, MoeLayerSpec, MoeOutput, RoutingStatTensors } from './types.js';
export { createMoeLayer, moeAlgorithms, registerMoeAlgorithm, routerOptions, expertKindFor, expertSpecFor, EXPERT_CHOICES, type ExpertChoice } from './registry.js';
export type { Router, RouterContext, RouterDef } from './router.js';
export type { Routing, RouteInput, Internal } from './routing.js';
export { numberOption, choiceOption, rangeOption, type RouterOption } from './options.js';
export { EXPERT_KINDS, type ExpertKind } from './experts/registry.js';
export type { ExpertBank } from './experts/expert-bank.js';
export { upcycleDenseFfn, type DenseFfnWeights } from './upcycle-ffn.js';
