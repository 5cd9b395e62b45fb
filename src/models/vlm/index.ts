/** moeflow/models/vlm: LibMoE's vision-language components: vision towers (CLIP, SigLIP; dense and MoE; S² multi-scale), the projector (mlp2x_gelu, MoE) and LLaVA's splice. */
export { VisionTower, type TowerCall, type TowerForward } from './tower/vision-tower.js';
export { checkTowerConfig, patchesPerImage, tokensPerImage, type VisionArch, type VisionTowerConfig, type TowerMoeConfig } from './tower/tower-config.js';
export { denseParamShapes, layerPrefix, TOWER_PREFIX } from './tower/tower-params.js';
export { upcycleTower } from './tower/upcycle-tower.js';
export { reportedLoss } from './tower/reported-aux.js';
export { MLP_ACTIVATIONS, mlpActivation, type MlpActivation } from '../kernels/activations.js';
export { Mlp2xGeluProjector } from './projector/mlp2x-gelu.js';
export { MoeProjector } from './projector/moe-projector.js';
export { projectorInWidth, type ProjectorDims } from './projector/dims.js';
export { planSplice } from './splice/plan.js';
export { spliceMultimodal } from './splice/splice.js';
