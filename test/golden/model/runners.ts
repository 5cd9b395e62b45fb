/**
 * The runner of each model-level kind. A kind without a runner fails with that message, so a
 * golden set holding a component moeflow does not build yet is reported, never passed.
 */
import type { ModelKind, ModelRunner } from './model-case.js';
import { runTowerCase } from './tower-runner.js';
import { runDenseProjector, runMoeProjector } from './projector-runner.js';
import { runSplice } from './splice-runner.js';
import { runPhi3Layer } from './phi3-runner.js';

export const MODEL_RUNNERS: Partial<Record<ModelKind, ModelRunner>> = {
  clip_tower: runTowerCase,
  siglip_tower: runTowerCase,
  clip_moe_tower: runTowerCase,
  siglip_moe_tower: runTowerCase,
  projector_mlp2x_gelu: runDenseProjector,
  projector_moe: runMoeProjector,
  splice: runSplice,
  phi3_decoder_layer: runPhi3Layer,
};
