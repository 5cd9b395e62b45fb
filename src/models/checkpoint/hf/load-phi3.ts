/** A Phi-3 / Phi-3.5-mini decoder (Phi3ForCausalLM) from a HuggingFace checkpoint folder. */
import { Phi3Model } from '../../phi3/model.js';
import { checkPhi3ModelConfig, type Phi3ModelConfig } from '../../phi3/model-config.js';
import { phi3ParamShapes } from '../../phi3/param-names.js';
import { HfConfig } from './hf-config.js';
import { HfWeights } from './hf-weights.js';
import { blameConfig, checkExpected, readExpected, type HfLoadReport } from './load-report.js';
import { phi3ConfigFromHf } from './phi3-config.js';

export interface HfPhi3Load {
  readonly model: Phi3Model;
  readonly config: Phi3ModelConfig;
  readonly report: HfLoadReport;
}

/**
 * Reads `dir/config.json` (`model_type: phi3`) and the folder's safetensors, one file or the
 * shards of `model.safetensors.index.json`. With `tie_word_embeddings`, a stored
 * `lm_head.weight` is ignored (the head is `model.embed_tokens.weight`) and listed as such.
 */
export async function loadHfPhi3(dir: string): Promise<HfPhi3Load> {
  const cfg = await HfConfig.read(dir);
  const config = phi3ConfigFromHf(cfg);
  blameConfig(cfg, () => checkPhi3ModelConfig(config));
  const weights = await HfWeights.open(dir);
  const shapes = phi3ParamShapes(config);
  const checked = checkExpected(weights, shapes);
  // Every parameter is overwritten: skip the random init.
  const model = new Phi3Model(config, 0, { init: 'zeros' });
  try {
    await readExpected(weights, shapes, (p) => model.load(p, { partial: true }));
    return { model, config, report: { dir, files: weights.files, defaulted: [...cfg.defaulted], ...checked } };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
