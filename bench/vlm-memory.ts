/**
 * What of LibMoE's VLMs fits in the wasm backend's 4 GiB heap, as JSON: per component (vision
 * tower, projector, language model, each dense and as stage 3's upcycled MoE) its parameters and
 * the bytes they hold between steps, and per stage (which components train: the quickstart
 * pipelines' `trainer.trainable`) the total. A trained parameter holds 16 bytes (float32 weight,
 * gradient, AdamW m and v), a frozen one 4 (VlmTrainer gives it no gradient and no moments).
 * Activations and temporaries come on top: bench/vlm-step measures them for the quickstart.
 *
 * Counts come from the model code without allocating the real weights: the tower's state_dict
 * shapes (denseParamShapes), Phi-3's (phi3ParamShapes), the mlp2x_gelu projector in closed
 * form, an MoE layer from two tiny-width instances of its router (models/vlm/model/param-count.ts).
 * The quickstart's figures are those of the built model.
 *
 * Usage: node dist/bench/vlm-memory.js [--experts 4]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../src/config/load.js';
import { buildVlm, upcycleAsConfigured } from '../src/cli/run/vlm-driver.js';
import { selectBackend } from '../src/models/backend.js';
import { FROZEN_PARAM_BYTES, TRAINED_PARAM_BYTES, WASM_HEAP_LIMIT_BYTES } from '../src/models/heap-limit.js';
import { phi3ParamShapes, type Phi3ModelConfig } from '../src/models/phi3/index.js';
import { COMPONENT_PREFIX, globToRegExp, projectorParamCount, towerParamCount, type ProjectorConfig, type VisionTowerConfig } from '../src/models/vlm/index.js';
import { round } from './matmul-rate.js';

const args = process.argv.slice(2);
const experts = Number(args[args.indexOf('--experts') + 1] ?? 4) || 4;
await selectBackend('cpu');
const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);

const CLIP_L_336: VisionTowerConfig = {
  arch: 'clip', imageSize: 336, patchSize: 14, hidden: 1024, intermediate: 4096, layers: 24, heads: 16,
  activation: 'quick_gelu', layerNormEps: 1e-5, scales: [1],
};
const SIGLIP_SO400M_224: VisionTowerConfig = {
  arch: 'siglip', imageSize: 224, patchSize: 14, hidden: 1152, intermediate: 4304, layers: 27, heads: 16,
  activation: 'gelu_pytorch_tanh', layerNormEps: 1e-6, scales: [1],
};
/** microsoft/Phi-3-mini-4k-instruct (Phi-3.5-mini has the same shapes). */
const PHI3_MINI: Phi3ModelConfig = {
  vocabSize: 32064, hidden: 3072, layers: 32, heads: 32, kvHeads: 32, intermediate: 8192, rmsNormEps: 1e-5, ropeTheta: 10000,
  maxPositionEmbeddings: 4096, originalMaxPositionEmbeddings: 4096, ropeScaling: null, tieWordEmbeddings: false, padTokenId: 32000,
};
const smoe = { algorithm: 'smoe', nExperts: experts, topK: 2, options: { balance_loss_coef: 0.01, router_z_loss_coef: 0.001 } };
const GIB = 2 ** 30;

interface Components { tower: number; towerMoe: number; projector: number; projectorMoe: number; languageModel: number }

function realComponents(tower: VisionTowerConfig, lm: Phi3ModelConfig): Components {
  let lmParams = 0;
  for (const s of phi3ParamShapes(lm).values()) lmParams += s.reduce((a, b) => a * b, 1);
  const dims = { mmHidden: tower.hidden, scales: tower.scales, llmHidden: lm.hidden };
  const moeProjector: ProjectorConfig = { kind: 'moe', ...smoe };
  return {
    tower: towerParamCount(tower), towerMoe: towerParamCount({ ...tower, moe: smoe }),
    projector: projectorParamCount({ kind: 'mlp2x_gelu' }, dims), projectorMoe: projectorParamCount(moeProjector, dims),
    languageModel: lmParams,
  };
}

/** The quickstart's counts, from the built stage-2 (dense) and stage-3 (upcycled) models. */
async function quickstartComponents(): Promise<Components> {
  const s1 = (await loadPipeline(join(root, 'pipelines', 'vlm-stage1.yaml'))).config;
  const s3 = (await loadPipeline(join(root, 'pipelines', 'vlm-stage3.yaml'), [`model.vlm.init.upcycle.nExperts=${experts}`])).config;
  const t = s1.data.tokenizer;
  const vocab = 'train' in t ? t.train.vocabSize : 8000;
  const dense = await buildVlm(s3, vocab, undefined);
  const moe = upcycleAsConfigured(s3, dense);
  const under = (m: typeof dense, prefix: string): number => [...m.params].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v.size, 0);
  const out = {
    tower: under(dense, COMPONENT_PREFIX.tower), towerMoe: under(moe, COMPONENT_PREFIX.tower),
    projector: under(dense, COMPONENT_PREFIX.projector), projectorMoe: under(moe, COMPONENT_PREFIX.projector),
    languageModel: under(dense, COMPONENT_PREFIX.languageModel),
  };
  dense.dispose();
  moe.dispose();
  return out;
}

/** Which components a stage trains: its pipeline's `trainer.trainable` patterns against the component prefixes. */
async function stageTraining(stage: number): Promise<Record<keyof typeof COMPONENT_PREFIX, boolean>> {
  const patterns = (await loadPipeline(join(root, 'pipelines', `vlm-stage${stage}.yaml`))).config.trainer.trainable ?? ['*'];
  const trains = (prefix: string) => patterns.some((p) => globToRegExp(p).test(`${prefix}0.weight`) || globToRegExp(p).test(`${prefix}x`));
  return { tower: trains(COMPONENT_PREFIX.tower), projector: trains(COMPONENT_PREFIX.projector), languageModel: trains(COMPONENT_PREFIX.languageModel) };
}

const stages = [await stageTraining(1), await stageTraining(2), await stageTraining(3)];
const bytes = (params: number, trained: boolean) => params * (trained ? TRAINED_PARAM_BYTES : FROZEN_PARAM_BYTES);
const gib = (b: number) => round(b / GIB, 3);

function table(name: string, c: Components): Record<string, unknown> {
  const component = (params: number) => ({ params, trainedGiB: gib(bytes(params, true)), frozenGiB: gib(bytes(params, false)) });
  const stage = (i: number) => {
    const tr = stages[i]!;
    const moe = i === 2;
    const parts = [[moe ? c.towerMoe : c.tower, tr.tower], [moe ? c.projectorMoe : c.projector, tr.projector], [c.languageModel, tr.languageModel]] as const;
    const total = parts.reduce((a, [p, t]) => a + bytes(p, t), 0);
    return { trains: tr, params: parts.reduce((a, [p]) => a + p, 0), weightsGradsMomentsGiB: gib(total), fitsBeforeActivations: total < WASM_HEAP_LIMIT_BYTES };
  };
  return {
    vlm: name,
    components: { tower: component(c.tower), towerMoe: component(c.towerMoe), projector: component(c.projector), projectorMoe: component(c.projectorMoe), languageModel: component(c.languageModel) },
    stage1: stage(0), stage2: stage(1), stage3: stage(2),
  };
}

const clip = realComponents(CLIP_L_336, PHI3_MINI);
const rows = [
  table('CLIP ViT-L/14-336 + Phi-3-mini', clip),
  table('SigLIP so400m-patch14-224 + Phi-3.5-mini', realComponents(SIGLIP_SO400M_224, PHI3_MINI)),
  table('quickstart (pipelines/vlm-stage{1,2,3}.yaml)', await quickstartComponents()),
];
const heap = WASM_HEAP_LIMIT_BYTES;
console.log(JSON.stringify({
  bench: 'vlm-memory', wasmHeapLimitGiB: heap / GIB, bytesPerTrainedParam: TRAINED_PARAM_BYTES, bytesPerFrozenParam: FROZEN_PARAM_BYTES, experts,
  counts: 'from the model code\'s shapes (tower, Phi-3), closed form (mlp2x_gelu), tiny-width instances (MoE layers); the quickstart\'s from its built models',
  vlms: rows,
  budget: {
    allTrainedMaxParams: Math.floor(heap / TRAINED_PARAM_BYTES),
    allFrozenMaxParams: Math.floor(heap / FROZEN_PARAM_BYTES),
    // Stage 1 with CLIP-L frozen and its projector trained (to a d=3072 LM): what is left for a frozen decoder.
    clipLStage1FrozenDecoderMaxParams: Math.floor((heap - bytes(clip.tower, false) - bytes(clip.projector, true)) / FROZEN_PARAM_BYTES),
    // Stage 2/3 with everything trained: after the dense CLIP-L tower and its projector, what is left for a decoder (negative: the tower alone does not fit).
    clipLStage2TrainedDecoderMaxParams: Math.floor((heap - bytes(clip.tower, true) - bytes(clip.projector, true)) / TRAINED_PARAM_BYTES),
    note: 'upper bounds: activations, gradient temporaries and the wasm module itself come on top',
  },
}, null, 2));
