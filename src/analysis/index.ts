/** Routing analysis: pure functions over routes (libmoe.md §6.1, §6.4, §6.5). See docs/analysis.md. */
export * from './routes.js';
export * from './selection-change.js';
export * from './checkpoint-dynamics.js';
export * from './domain-specialisation.js';
export * from './token-concentration.js';
export * from './co-occurrence.js';
export * from './layer-similarity.js';
export * from './usage-windows.js';
export * from './normalised-inner-product.js';
export * from './expert-weight-ani.js';
export * from './ablation.js';
export * from './analyse-checkpoints.js';
