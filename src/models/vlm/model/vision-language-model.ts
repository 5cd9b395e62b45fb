/**
 * LibMoE's vision-language model (LLaVA with MoE in the vision half), top to bottom:
 *
 *   features = VisionTower(pixels)            input of the last encoder layer; CLIP drops its
 *                                             class token; S² scales on the channel axis
 *   image    = Projector(features)            mlp2x_gelu, or an MoE of mlp2x_gelu experts
 *   h        = splice(embed(ids), image)      each <image> token becomes its P feature rows
 *   logits   = LanguageModel.decoder(h)       (labels −100 on image rows and padding)
 *
 * Parameters are named by component (`vision_tower.…`, `mm_projector.…`, `language_model.…`,
 * HF/LibMoE names inside), so freezing, checkpoints and upcycling work by name.
 */
import type { Json } from '../../../base/json.js';
import { tf, type Tensor2D, type Tensor3D, type Variable } from '../../tf.js';
import { createMoeLayer } from '../../moe/registry.js';
import type { MoeCallContext, MoeOutput } from '../../moe/types.js';
import { embeddingLookup } from '../../lm/embedding.js';
import { TransformerLM } from '../../lm/transformer-lm.js';
import type { LanguageModel } from '../language-model.js';
import type { MoeProjectorOutput } from '../projector/moe-projector.js';
import { spliceMultimodal } from '../splice/splice.js';
import type { SplicePlan } from '../splice/plan.js';
import { lmStatGroups } from './vlm-routing.js';
import { patchesPerImage } from '../tower/tower-config.js';
import { VisionTower, type TowerForward } from '../tower/vision-tower.js';
import { subSeed } from '../../lm/seeded-draws.js';
import { featureBlocks, type VlmBatch } from './vlm-batch.js';
import { buildProjector, type VlmProjector } from './vlm-projector.js';
import { COMPONENT_PREFIX, isOtherLm, type VlmConfig } from './vlm-config.js';

/** Builds the decoder a VlmConfig names (Phi-3 and other LanguageModel implementations). */
export type LanguageModelBuilder = (config: VlmConfig['languageModel']) => LanguageModel;

export interface VlmForward {
  /** [B·L', V] next-token logits over the spliced sequence (position t predicts t + 1). */
  readonly logits: Tensor2D;
  /** Where each spliced row came from; `plan.labels` [B, L'] are the labels the loss reads
   *  (image rows and padding `IGNORE_INDEX`), `plan.attentionMask` the real rows. */
  readonly plan: SplicePlan;
  /** The tower's pass over the batch's images (absent when the batch has none). */
  readonly tower?: TowerForward;
  /** The MoE projector's output (absent for the dense projector or without images). */
  readonly projector?: MoeProjectorOutput;
  /** The language model's MoE blocks (empty for a dense decoder, as in LibMoE). */
  readonly languageModel: readonly { readonly layer: number; readonly out: MoeOutput }[];
  readonly images: number;
}

export class VisionLanguageModel {
  /** Every parameter by checkpoint name, component by component. */
  readonly params: ReadonlyMap<string, Variable>;

  constructor(
    readonly config: VlmConfig,
    readonly tower: VisionTower,
    readonly projector: VlmProjector,
    readonly languageModel: LanguageModel,
  ) {
    const params = new Map<string, Variable>();
    const add = (prefix: string, vars: ReadonlyMap<string, Variable>) => {
      for (const [k, v] of vars) params.set(prefix + k, v);
    };
    add(COMPONENT_PREFIX.tower, tower.variables);
    add(COMPONENT_PREFIX.projector, projector.variables);
    add(COMPONENT_PREFIX.languageModel, languageModel.params);
    this.params = params;
  }

  /**
   * The model `config` states, every weight fresh from its seeds. The decoder is moeflow's
   * TransformerLM, or for an `{ arch, config }` language model what `buildLanguageModel` makes.
   */
  static create(config: VlmConfig, buildLanguageModel?: LanguageModelBuilder): VisionLanguageModel {
    const lmConfig = config.languageModel;
    let lm: LanguageModel;
    if (buildLanguageModel) lm = buildLanguageModel(lmConfig);
    else if (isOtherLm(lmConfig)) throw new Error(`VisionLanguageModel: language model arch '${lmConfig.arch}' needs a LanguageModelBuilder`);
    else lm = new TransformerLM(lmConfig, createMoeLayer);
    const tower = VisionTower.create(config.tower, subSeed(config.seed, 'vision_tower'), config.routerSeed);
    const dims = { mmHidden: config.tower.hidden, scales: config.tower.scales, llmHidden: lm.dModel };
    const projector = buildProjector(config.projector, dims, subSeed(config.seed, 'mm_projector'), config.routerSeed);
    return new VisionLanguageModel(config, tower, projector, lm);
  }

  /**
   * One forward pass over a collated batch. Call inside a tape (training) or tidy (eval); the
   * routers run in `ctx`'s mode (training: their aux losses are computed).
   */
  forward(batch: VlmBatch, ctx: MoeCallContext): VlmForward {
    let blocks = featureBlocks(batch);
    const nImg = batch.imageRows.length;
    const p = patchesPerImage(this.config.tower);
    const d = this.languageModel.dModel;
    const s = this.config.tower.imageSize;
    let pixels = batch.pixels;
    if (nImg > 0) {
      if (batch.imageShape && batch.imageShape.join() !== [3, s, s].join()) throw new Error(`VLM batch: images are [${batch.imageShape.join(', ')}], the tower takes [3, ${s}, ${s}]`);
      if (pixels === undefined || pixels.length !== nImg * 3 * s * s) {
        throw new Error(`VLM batch: ${nImg} images need pixels [${nImg}, 3, ${s}, ${s}], got ${pixels?.length ?? 0} values`);
      }
    }
    if (this.config.textOnlyRows === 'zero-image' && blocks.some((b) => b < 0)) {
      // LibMoE's collator gives a text-only row a zero image: one tower input per block, in block order.
      pixels = blockPixels(blocks, pixels, 3 * s * s);
      blocks = Int32Array.from(blocks, (_, i) => i);
    }
    const nRun = blocks.reduce((n, b) => Math.max(n, b + 1), 0);
    let towerOut: TowerForward | undefined;
    let projected: Tensor3D | undefined;
    let projMoe: MoeProjectorOutput | undefined;
    if (nRun > 0) {
      towerOut = this.tower.forward(tf.tensor4d(pixels!, [nRun, 3, s, s]), ctx);
      const pr = this.projector.apply(towerOut.features, ctx);
      projected = pr.y;
      projMoe = pr.moe;
    }
    const spliced = spliceMultimodal(
      { batchSize: batch.batchSize, seqLen: batch.seqLen, ids: batch.ids, labels: batch.labels, attentionMask: batch.attentionMask, withPositionIds: false },
      this.languageModel.embeddingMatrix() as unknown as Tensor2D,
      blockFeatures(projected, blocks, p, d),
      // Right padding as LLaVA's collator; position ids are then 0…len−1 on every real row.
      { maxLength: this.config.maxLength, paddingSide: 'right' },
    );
    const { plan } = spliced;
    const h = tf.reshape(spliced.inputsEmbeds, [plan.batchSize * plan.seqLen, d]) as Tensor2D;
    // Training steps report a decoder MoE block's routing per modality (vlm-routing.ts).
    const lmCtx = ctx.training ? { ...ctx, statGroups: lmStatGroups(plan) } : ctx;
    const lm = this.languageModel.forwardEmbeddings(h, plan.batchSize, plan.seqLen, lmCtx, plan.attentionMask ? { attentionMask: Uint8Array.from(plan.attentionMask) } : undefined);
    return {
      logits: lm.logits, plan, languageModel: lm.moe, images: nImg,
      ...(towerOut ? { tower: towerOut } : {}),
      ...(projMoe ? { projector: projMoe } : {}),
    };
  }

  /** Number of scalar parameters (all experts counted). */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** The MoE layers' non-trainable state (bias, λ, …), for checkpoints. */
  moeState(): Json {
    const lm = this.languageModel instanceof TransformerLM ? this.languageModel.moeLayers.map((l) => (l ? l.state() : null)) : [];
    return { tower: this.tower.moeLayers.map((l) => l.state()), projector: this.projector.state(), languageModel: lm };
  }

  setMoeState(s: Json): void {
    const st = s as { tower: Json[]; projector: Json; languageModel: (Json | null)[] };
    if (st.tower.length !== this.tower.moeLayers.length) throw new Error(`VLM state: ${st.tower.length} tower MoE layers in the state, the model has ${this.tower.moeLayers.length}`);
    st.tower.forEach((x, i) => this.tower.moeLayers[i]!.setState(x));
    this.projector.setState(st.projector);
    if (this.languageModel instanceof TransformerLM) {
      const layers = this.languageModel.moeLayers;
      st.languageModel.forEach((x, i) => {
        if (x !== null) layers[i]?.setState(x);
      });
    }
  }

  dispose(): void {
    this.tower.dispose();
    this.projector.dispose();
    this.languageModel.dispose();
  }
}

/** Pixels [N_blocks, 3, S, S]: block b's image, or zeros for a text-only row (−1). */
function blockPixels(blocks: Int32Array, pixels: Float32Array | undefined, size: number): Float32Array {
  const out = new Float32Array(blocks.length * size);
  blocks.forEach((b, i) => {
    if (b >= 0) out.set(pixels!.subarray(b * size, (b + 1) * size), i * size);
  });
  return out;
}

/**
 * The splice's feature blocks [N_blocks, P, D] from the projected images [N_img, P, D]: block b
 * is image blocks[b], or zeros for −1 (a text-only row). One row gather whose gradient works on wasm.
 */
function blockFeatures(projected: Tensor3D | undefined, blocks: Int32Array, p: number, d: number): Tensor3D {
  const nImg = projected?.shape[0] ?? 0;
  if (projected && blocks.every((b, i) => b === i) && blocks.length === nImg) return projected;
  const zeroRow = nImg * p;
  const rows = new Int32Array(blocks.length * p);
  blocks.forEach((b, i) => {
    for (let r = 0; r < p; r++) rows[i * p + r] = b < 0 ? zeroRow : b * p + r;
  });
  const zeros = tf.zeros([1, d]) as Tensor2D;
  const table = projected ? (tf.concat([tf.reshape(projected, [nImg * p, d]) as Tensor2D, zeros], 0) as Tensor2D) : zeros;
  return tf.reshape(embeddingLookup(table, tf.tensor1d(rows, 'int32')), [blocks.length, p, d]) as Tensor3D;
}
