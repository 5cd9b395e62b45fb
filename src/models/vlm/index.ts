/** moeflow/models/vlm: LibMoE's vision towers (CLIP, SigLIP; dense and MoE; S² multi-scale). */
export { VisionTower, type TowerCall, type TowerForward } from './vision-tower.js';
export { checkTowerConfig, patchesPerImage, tokensPerImage, type VisionArch, type VisionTowerConfig, type TowerMoeConfig } from './tower-config.js';
export { denseParamShapes, layerPrefix, TOWER_PREFIX } from './tower-params.js';
export { upcycleTower } from './upcycle-tower.js';
export { reportedLoss } from './reported-aux.js';
export { MLP_ACTIVATIONS, mlpActivation, type MlpActivation } from '../kernels/activations.js';
