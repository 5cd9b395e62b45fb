/** moeflow/models/phi3: a Phi-3 decoder (transformers 4.43's Phi3ForCausalLM and Phi3DecoderLayer, their parameter names). */
export { Phi3DecoderLayer } from './decoder-layer.js';
export { Phi3Model } from './model.js';
export { phi3LayerInputs, type Phi3LayerInputs } from './layer-inputs.js';
export { headDim, type Phi3LayerConfig, type LongRopeScaling, type Phi3Init } from './config.js';
export { checkPhi3ModelConfig, type Phi3ModelConfig } from './model-config.js';
export { EMBED_TOKENS, FINAL_NORM, LM_HEAD, phi3LayerPrefix, phi3ParamShapes } from './param-names.js';
export { phi3RopeTables, phi3RopeAt } from './rope.js';
export { rmsNorm } from './rms-norm.js';
