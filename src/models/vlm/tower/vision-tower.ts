import { tf, type Scalar, type Tensor, type Tensor2D, type Tensor3D, type Tensor4D, type Variable } from '../../tf.js';
import { ParamFactory } from '../../moe/init.js';
import { createMoeLayer } from '../../moe/registry.js';
import type { MoeCallContext, MoeLayer, MoeOutput } from '../../moe/types.js';
import { layerNorm } from '../../lm/layer-norm.js';
import { bicubicResize } from './bicubic.js';
import { encoderLayer, type ParamLookup } from './encoder-layer.js';
import { patchEmbed } from './patch-embedding.js';
import { areaPoolTokens, mergeChessboard, splitChessboard } from './s2.js';
import { checkTowerConfig, patchesPerImage, tokensPerImage, type VisionTowerConfig } from './tower-config.js';
import { denseParamShapes, layerPrefix, TOWER_PREFIX } from './tower-params.js';

/** One pass of the tower over a batch of images (LibMoE calls it once per S² scale). */
export interface TowerCall {
  /** [B·T, D]: patch conv (+ CLIP's class token) + position embeddings. */
  readonly embeddings: Tensor2D;
  /** L + 1 of [B·T, D], transformers' convention: [0] CLIP's pre_layrnorm output (SigLIP: the
   *  embeddings), [i] the output of encoder layer i − 1. */
  readonly hiddenStates: readonly Tensor2D[];
  /** LibMoE's `encoder_states[-1]`: the INPUT of the last layer (= hiddenStates[L − 1]). */
  readonly towerOutput: Tensor2D;
  /** [B, P, D]: the tower output's patch tokens (`feature_select('patch')`: CLIP drops its class token). */
  readonly features: Tensor3D;
  /** Per layer, its MoE layer's output (empty for a dense tower). */
  readonly moe: readonly MoeOutput[];
  /** Mean over layers of each layer's aux_total (MoE towers). */
  readonly aux?: Scalar;
}

/** What the tower returns for a batch of images, over all its scales. */
export interface TowerForward {
  /** [B, P, D·len(scales)]: scale-1 features, then each S² scale's, on the channel axis. */
  readonly features: Tensor3D;
  /** calls[0] the B full images; calls[c] the B·s² crops of scales[c]. */
  readonly calls: readonly TowerCall[];
  /** Per S² scale (scales[1…]): the crops' pixels [s²·B, 3, S, S], in LibMoE's crop order. */
  readonly crops: readonly Tensor4D[];
  /** The tower's `auxiliary_loss`: the mean over calls of each call's mean over layers (MoE towers). */
  readonly auxTotal?: Scalar;
}

/**
 * A CLIP or SigLIP ViT as LibMoE uses it as its vision tower (`clip_encoder.py` /
 * `siglip_encoder.py` with LibMoE's `clip.py` / `siglip.py` encoders and their `*_smoe.py` MoE
 * variants), with S² multi-scale. Parameters carry HF's state_dict names (`vision_model.…`;
 * MoE layers `….moelayer.gate.weight`, `….moelayer.experts.{j}.fc1.weight` …), so LibMoE's
 * `clip.bin` or an HF checkpoint loads by name.
 */
export class VisionTower {
  private constructor(
    readonly config: VisionTowerConfig,
    readonly variables: ReadonlyMap<string, Variable>,
    /** Per encoder layer, its MoE layer (empty for a dense tower). */
    readonly moeLayers: readonly MoeLayer[],
  ) {}

  /**
   * A tower with fresh parameters (HF-like init; LibMoE loads pretrained ones over them) and, with
   * `cfg.moe`, fresh routers and experts: layer i's from seed + 1 + i, or, with `routerSeed`, every
   * layer's from that one seed (LibMoE's upcycling draws every router from a generator seeded 42,
   * so all layers start with the same router).
   */
  static create(cfg: VisionTowerConfig, seed = 0, routerSeed?: number): VisionTower {
    checkTowerConfig(cfg);
    const pf = new ParamFactory(seed, '');
    const vars = new Map<string, Variable>();
    for (const [name, shape] of denseParamShapes(cfg)) {
      const leaf = name.slice(name.lastIndexOf('.') + 1);
      const norm = /(layrnorm|layer_norm\d)\.(weight|bias)$/.test(name);
      if (norm) vars.set(name, pf.fromArray(name, shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(leaf === 'weight' ? 1 : 0)));
      else if (leaf === 'bias') vars.set(name, pf.fromArray(name, shape, new Float32Array(shape[0]!)));
      else vars.set(name, pf.normal(name, shape, name.includes('embedding') && !name.includes('patch') ? 0.02 : 1 / Math.sqrt(fanIn(shape))));
    }
    const moeLayers: MoeLayer[] = [];
    if (cfg.moe) {
      for (let i = 0; i < cfg.layers; i++) {
        const layer = createMoeLayer({
          algorithm: cfg.moe.algorithm, dModel: cfg.hidden, nExperts: cfg.moe.nExperts, topK: cfg.moe.topK,
          expert: { kind: 'gelu-mlp', hidden: cfg.intermediate, activation: cfg.activation, names: 'fc' },
          ...(cfg.moe.options ? { options: cfg.moe.options } : {}),
          seed: routerSeed ?? seed + 1 + i,
        });
        // The layer names its variables without a prefix (tf then picks unique names, so two
        // towers can live side by side); the tower files them under the layer's state_dict path.
        for (const [k, v] of layer.variables) vars.set(`${layerPrefix(i)}moelayer.${k}`, v);
        moeLayers.push(layer);
      }
    }
    return new VisionTower(cfg, vars, moeLayers);
  }

  /**
   * Overwrites parameters by state_dict name. Every name must be one of the tower's with its
   * shape; unless `partial`, every parameter must be given. Errors name the parameter.
   */
  load(params: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>, opts: { partial?: boolean } = {}): void {
    for (const [name, p] of Object.entries(params)) {
      const v = this.variables.get(name);
      if (!v) throw new Error(`vision tower: unknown parameter '${name}' (not a ${this.config.arch}${this.config.moe ? ' MoE' : ''} tower parameter)`);
      if (p.shape.length !== v.shape.length || p.shape.some((s, i) => s !== v.shape[i])) {
        throw new Error(`vision tower: parameter '${name}' has shape [${p.shape.join(', ')}], the tower expects [${v.shape.join(', ')}]`);
      }
      if (p.data.length !== v.size) throw new Error(`vision tower: parameter '${name}' holds ${p.data.length} values, shape [${v.shape.join(', ')}] needs ${v.size}`);
    }
    if (!opts.partial) {
      const missing = [...this.variables.keys()].filter((k) => !(k in params));
      if (missing.length > 0) throw new Error(`vision tower: missing parameter${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
    }
    for (const [name, p] of Object.entries(params)) {
      const v = this.variables.get(name)!;
      const t = tf.tensor(p.data, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  /** One tower pass: pixels [B, 3, S, S] → every hidden state, LibMoE's output and the features. */
  call(pixels: Tensor4D, ctx: MoeCallContext): TowerCall {
    const cfg = this.config;
    const [b, c, s] = pixels.shape;
    if (c !== 3 || s !== cfg.imageSize || pixels.shape[3] !== s) throw new Error(`vision tower: pixels must be [B, 3, ${cfg.imageSize}, ${cfg.imageSize}], got [${pixels.shape.join(', ')}]`);
    const p = this.lookup;
    const emb = `${TOWER_PREFIX}embeddings.`;
    const d = cfg.hidden;
    const t = tokensPerImage(cfg);
    let tokens = patchEmbed(pixels, p(`${emb}patch_embedding.weight`), cfg.arch === 'siglip' ? p(`${emb}patch_embedding.bias`) : undefined, cfg.patchSize);
    if (cfg.arch === 'clip') {
      const cls = tf.broadcastTo(tf.reshape(p(`${emb}class_embedding`), [1, 1, d]), [b, 1, d]);
      tokens = tf.reshape(tf.concat([cls, tf.reshape(tokens, [b, t - 1, d])], 1), [b * t, d]) as Tensor2D;
    }
    const embeddings = tf.reshape(tf.add(tf.reshape(tokens, [b, t, d]), p(`${emb}position_embedding.weight`)), [b * t, d]) as Tensor2D;
    let h = cfg.arch === 'clip' ? layerNorm(embeddings, p(`${TOWER_PREFIX}pre_layrnorm.weight`), p(`${TOWER_PREFIX}pre_layrnorm.bias`), cfg.layerNormEps) : embeddings;
    const hiddenStates: Tensor2D[] = [h];
    const moe: MoeOutput[] = [];
    // Every layer runs, the last included: its output is unused, but its router's aux counts.
    for (let i = 0; i < cfg.layers; i++) {
      const layer = this.moeLayers[i];
      const r = encoderLayer(h, p, layerPrefix(i), cfg, b, layer ? { layer, ctx } : undefined);
      h = r.h;
      hiddenStates.push(h);
      if (r.moe) moe.push(r.moe);
    }
    const towerOutput = hiddenStates[cfg.layers - 1]!;
    const perImage = tf.reshape(towerOutput, [b, t, d]) as Tensor3D;
    const features = cfg.arch === 'clip' ? tf.slice(perImage, [0, 1, 0], [b, t - 1, d]) : perImage;
    const aux = moe.length > 0 ? (tf.div(tf.addN(moe.map((m) => m.auxTotal)), moe.length) as Scalar) : undefined;
    return { embeddings, hiddenStates, towerOutput, features, moe, ...(aux ? { aux } : {}) };
  }

  /**
   * LibMoE's tower forward: the plain pass, and for each S² scale s the images upsampled
   * (bicubic) to s·S, cut into s×s crops, passed through the tower, merged back into an
   * (s·g)² grid and area-pooled to g×g, concatenated after the scale-1 features.
   */
  forward(pixels: Tensor4D, ctx: MoeCallContext): TowerForward {
    const cfg = this.config;
    const b = pixels.shape[0];
    const g = Math.round(Math.sqrt(patchesPerImage(cfg)));
    const calls: TowerCall[] = [this.call(pixels, ctx)];
    const crops: Tensor4D[] = [];
    const features: Tensor3D[] = [calls[0]!.features];
    for (const s of cfg.scales.slice(1)) {
      const cropPixels = splitChessboard(bicubicResize(pixels, s * cfg.imageSize), s);
      crops.push(cropPixels);
      const call = this.call(cropPixels, ctx);
      calls.push(call);
      features.push(areaPoolTokens(mergeChessboard(call.features, s), g));
    }
    const auxes = calls.flatMap((c) => (c.aux ? [c.aux] : []));
    const auxTotal = auxes.length > 0 ? (tf.div(tf.addN(auxes), auxes.length) as Scalar) : undefined;
    if (features.length > 1 && features.some((f) => f.shape[0] !== b)) throw new Error('vision tower: S² features lost their batch');
    return { features: features.length === 1 ? features[0]! : (tf.concat(features, 2) as Tensor3D), calls, crops, ...(auxTotal ? { auxTotal } : {}) };
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }

  private readonly lookup: ParamLookup = (name: string): Tensor => {
    const v = this.variables.get(name);
    if (!v) throw new Error(`vision tower: no parameter '${name}'`);
    return v;
  };
}

function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}
