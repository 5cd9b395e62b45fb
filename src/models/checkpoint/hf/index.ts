/** moeflow/models checkpoint/hf: HuggingFace checkpoint folders (config.json + safetensors) in and out. */
export { loadHfPhi3, type HfPhi3Load } from './load-phi3.js';
export { loadHfVisionTower, type HfVisionTowerLoad, type HfVisionTowerOptions } from './load-vision-tower.js';
export type { HfLoadReport } from './load-report.js';
export { phi3ConfigFromHf } from './phi3-config.js';
export { visionConfigFromHf, type HfVisionConfig } from './vision-config.js';
export { HfConfig, CONFIG_FILE } from './hf-config.js';
export { HfWeights, INDEX_FILE, type HfWeightEntry } from './hf-weights.js';
export { writeHfCheckpoint, type HfFolderSpec } from './write-folder.js';
export { HF_FLOAT_DTYPES, decodeFloats, encodeFloats, halfToFloat, type HfFloatDtype } from './dtypes.js';
export { readSafetensorsHeader, encodeRawSafetensors, writeRawSafetensors, type RawTensor, type SafetensorsEntry, type SafetensorsHeader } from './safetensors-file.js';
