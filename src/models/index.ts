/** moeflow/models: TensorFlow.js backends, MoE layers and routers, the vision towers, the transformer LM, training, checkpoints. */
export { tf } from './tf.js';
export { selectBackend, type BackendName, type BackendRequest, type BackendChoice } from './backend.js';
export * from './moe/index.js';
export * from './vlm/index.js';
export { TransformerLM, type MoeFactory } from './lm/transformer-lm.js';
export { LmTrainer, type TrainConfig, type GradientWorkers } from './lm/trainer.js';
export { GradPool, type GradPoolOptions } from './parallel/grad-pool.js';
export { resolveLmConfig, denseBaselineOf, type LmConfig, type FfnConfig } from './lm/config.js';
export { upcycleLm, type UpcycleOptions } from './lm/upcycle-lm.js';
export { saveLmCheckpoint, loadLmCheckpoint } from './checkpoint/lm-checkpoint.js';
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors.js';
export type * from './train-types.js';
export * from './phi3/index.js';
export * from './checkpoint/hf/index.js';
export { assignNamedParams, readNamedParams, type HostParam, type NamedParams } from './checkpoint/named-params.js';
