/** moeflow/models/phi3: a Phi-3 decoder layer (transformers 4.43's Phi3DecoderLayer, its parameter names). */
export { Phi3DecoderLayer } from './decoder-layer.js';
export { headDim, type Phi3LayerConfig } from './config.js';
export { phi3RopeTables } from './rope.js';
export { rmsNorm } from './rms-norm.js';
