/**
 * A CLIP or SigLIP vision tower from a HuggingFace checkpoint folder: a CLIPVisionModel /
 * SiglipVisionModel, or the vision half of a CLIPModel / SiglipModel (text tower ignored).
 */
import { VisionTower } from '../../vlm/tower/vision-tower.js';
import { checkTowerConfig, type VisionTowerConfig } from '../../vlm/tower/tower-config.js';
import { denseParamShapes } from '../../vlm/tower/tower-params.js';
import { HfConfig } from './hf-config.js';
import { HfWeights } from './hf-weights.js';
import { blameConfig, checkExpected, readExpected, type HfLoadReport } from './load-report.js';
import { visionConfigFromHf } from './vision-config.js';

export interface HfVisionTowerOptions {
  /** LibMoE's S² scales (not in any HF config); default [1]. */
  readonly scales?: readonly number[];
}

export interface HfVisionTowerLoad {
  /** The dense tower, every parameter from the checkpoint; `upcycleTower` makes it MoE. */
  readonly tower: VisionTower;
  readonly config: VisionTowerConfig;
  readonly modelType: string;
  readonly report: HfLoadReport;
}

/**
 * Reads `dir/config.json` and the folder's safetensors. The tower's parameters are HF's
 * `vision_model.…` names; `post_layernorm` and SigLIP's pooling `head` (LibMoE's features are
 * the input of the last layer), `position_ids` buffers and any text-tower or projection tensors
 * are ignored and listed in the report.
 */
export async function loadHfVisionTower(dir: string, opts: HfVisionTowerOptions = {}): Promise<HfVisionTowerLoad> {
  const cfg = await HfConfig.read(dir);
  const { config, modelType } = visionConfigFromHf(cfg, opts.scales);
  blameConfig(cfg, () => checkTowerConfig(config));
  const weights = await HfWeights.open(dir);
  const shapes = denseParamShapes(config);
  // Headers are checked before the tower is built: a wrong folder fails without the init's cost.
  const checked = checkExpected(weights, shapes);
  const tower = blameConfig(cfg, () => VisionTower.create(config));
  try {
    await readExpected(weights, shapes, (p) => tower.load(p, { partial: true }));
    return { tower, config, modelType, report: { dir, files: weights.files, defaulted: [...cfg.defaulted], ...checked } };
  } catch (e) {
    tower.dispose();
    throw e;
  }
}
