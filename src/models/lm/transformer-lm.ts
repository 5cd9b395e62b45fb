/**
 * A pre-LN decoder-only Transformer LM, top to bottom (nanoGPT's model.py shape, LibMoE's
 * `preln_rope` / `preln_moe` numerics):
 *
 *   h = Embedding(tokens)
 *   per block: h += Attn(LN1(h));  h += FFN(LN2(h))     FFN = MoE layer or dense ReLU MLP
 *
 * Any registry router can be an MoE block: its experts are the kind the config names, by
 * default the one the router declares (its LibMoE stack's), and a custom MoeFactory may build
 * a different router per block.
 *   logits = LN_f(h) · W_out                             untied output projection
 *
 * Parameters are float32 tf.Variables keyed by a stable name (checkpoint keys). Weights are
 * stored [in, out] so every projection is a plain 2-D matMul (ts-stack.md §5 rules).
 */
import { tf, type Tensor2D, type Tensor3D, type Variable } from '../tf.js';
import type { MoeCallContext, MoeLayer, MoeLayerSpec, MoeOutput } from '../moe/types.js';
import { probeRouting, RoutingRecord } from '../moe/routing-reads.js';
import { matMul2D } from '../kernels/fast-matmul.js';
import { batchedAttentionInUse, causalMask, causalSelfAttention, type AttentionConsts } from './attention.js';
import { denseFfn } from './dense-ffn.js';
import { embeddingLookup } from './embedding.js';
import { recomputeBlock, statefulRouter, type BlockResult } from './recompute-block.js';
import { expertSpecFor } from '../moe/registry.js';
import { layerNorm } from './layer-norm.js';
import { headRopeTables, ropeTables, ropeTablesAt, rotatedDims } from './rope.js';
import type { EmbeddingLayout, LanguageModel, LanguageModelForward } from '../vlm/language-model.js';
import { kaimingNormalLinear, prenormLinear, torchLinearDefault } from './libmoe-init.js';
import { subSeed } from './seeded-draws.js';
import { denseWidth, isMoeLayer, resolveLmConfig, type LmConfig, type ResolvedLmConfig } from './config.js';

export type ActivationProbe = (label: string, x: tf.Tensor) => void;
export type MoeFactory = (spec: MoeLayerSpec) => MoeLayer;

/**
 * A batch whose windows are not plain causal sequences (evaluation's shared-context windows,
 * shared-context-window.ts): each row's position id and each window's attention mask.
 */
export interface WindowLayout {
  /** [B·T] position id of each row (its RoPE angle); with `mask`. */
  readonly positions?: Int32Array;
  /** [B·T, T] additive mask per window, row-major: 0 where a row may attend, −1e9 where not;
   *  absent: plain causal windows (the cached tables). */
  readonly mask?: Float32Array;
  /** Only these rows reach the output projection (logits [headRows.length, V]); all when absent. */
  readonly headRows?: Int32Array;
}

export interface LmForward {
  /** [B·T, V] next-token logits (or [headRows.length, V] under a WindowLayout that names rows). */
  readonly logits: Tensor2D;
  /** One entry per MoE block, in block order. */
  readonly moe: readonly { readonly layer: number; readonly out: MoeOutput }[];
}

/** σ-MoE tensors LibMoE initialises with the depth factor (expert keys/values, router, shared experts). */
const DEPTH_SCALED = /\.ffn\.(keys|values|keys_shared|values_shared|expert_sel)$/;

/** Globally unique tfjs variable names, so several models (e.g. a resumed copy) can coexist. */
let modelCounter = 0;

export class TransformerLM implements LanguageModel {
  readonly config: ResolvedLmConfig;
  /** Every trainable parameter (dense ones and each MoE layer's), in a fixed order. */
  readonly params = new Map<string, Variable>();
  /** Per block: its MoE layer, or null for a dense FFN. */
  readonly moeLayers: readonly (MoeLayer | null)[];
  private readonly consts = new Map<string, AttentionConsts>();
  private readonly uid = `lm${modelCounter++}`;

  constructor(config: LmConfig, moeFactory?: MoeFactory) {
    const c = (this.config = resolveLmConfig(config));
    const { dModel: d, vocabSize: v, nHeads: h, headDim: hd, nLayers: L } = c;
    // LibMoE's init (libmoe-init.ts; docs/models.md "Initialisation"): embedding N(0, 1/D);
    // every projection inside a block reset_prenorm_params' rescaled truncated normal;
    // output layer torch.nn.Linear's default U(±1/√D).
    const seedOf = (name: string): number => subSeed(c.seed, name);
    this.initialised('embedding.weight', [v, d], kaimingNormalLinear(v * d, d, seedOf('embedding.weight')));
    const moeLayers: (MoeLayer | null)[] = [];
    for (let i = 0; i < L; i++) {
      const p = `layers.${i}.`;
      this.constant(`${p}ln1.weight`, [d], 1);
      this.constant(`${p}ln1.bias`, [d], 0);
      // LibMoE has two Linears here, data_to_q [H·hd, D] and data_to_kv [2·H·hd, D], each
      // rescaled to its own exact std; our fused [D, 3·H·hd] holds q's columns then k|v's.
      const q = prenormLinear(d * h * hd, d, L, seedOf(`${p}attn.qkv:q`));
      const kv = prenormLinear(d * 2 * h * hd, d, L, seedOf(`${p}attn.qkv:kv`));
      this.initialised(`${p}attn.qkv`, [d, 3 * h * hd], besideEachOther(d, [q, kv]));
      this.initialised(`${p}attn.out`, [h * hd, d], prenormLinear(h * hd * d, h * hd, L, seedOf(`${p}attn.out`)));
      this.constant(`${p}ln2.weight`, [d], 1);
      this.constant(`${p}ln2.bias`, [d], 0);
      if (isMoeLayer(c, i) && c.ffn.kind === 'moe') {
        if (moeFactory === undefined) throw new Error(`LmConfig.ffn is MoE ("${c.ffn.algorithm}") but no MoE layer factory was given`);
        const layer = moeFactory({
          algorithm: c.ffn.algorithm,
          dModel: d,
          nExperts: c.ffn.nExperts,
          topK: c.ffn.topK,
          expert: expertSpecFor(c.ffn.algorithm, c.ffn.expertSize, c.ffn.expert),
          options: c.ffn.options ?? {},
          ...(c.ffn.capacityFactor !== undefined ? { capacityFactor: c.ffn.capacityFactor } : {}),
          seed: subSeed(c.seed, `${p}ffn`),
          name: `${this.uid}.${p}ffn.`,
        });
        // Checkpoint keys drop the per-instance prefix so any model of this config can load them.
        for (const [name, variable] of layer.variables) {
          const key = name.replace(`${this.uid}.`, '');
          this.params.set(key, variable);
          // LibMoE's MoE init carries the pre-LN depth factor √(layer_std_constant / n_layers),
          // layer_std_constant = 2 (relative_moe_transformer.py); the layer leaves it to its host.
          if (DEPTH_SCALED.test(key)) tf.tidy(() => variable.assign(tf.mul(variable, Math.sqrt(2 / L))));
        }
        moeLayers.push(layer);
      } else {
        const w = denseWidth(c.ffn);
        this.initialised(`${p}ffn.w1`, [d, w], prenormLinear(d * w, d, L, seedOf(`${p}ffn.w1`)));
        this.initialised(`${p}ffn.w2`, [w, d], prenormLinear(w * d, w, L, seedOf(`${p}ffn.w2`)));
        moeLayers.push(null);
      }
    }
    this.constant('ln_f.weight', [d], 1);
    this.constant('ln_f.bias', [d], 0);
    this.initialised('lm_head.weight', [d, v], torchLinearDefault(d * v, d, seedOf('lm_head.weight')));
    this.moeLayers = moeLayers;
  }

  /**
   * inputs: [B·T] int32 token ids, row-major. Call inside a tape (training) or tidy (eval).
   * `probe` sees the residual stream after each sub-block (used to locate the first NaN/Inf).
   */
  forward(inputs: tf.Tensor1D, batch: number, seqLen: number, ctx: MoeCallContext, probe?: ActivationProbe, layout?: WindowLayout): LmForward {
    return this.decode(embeddingLookup(this.param('embedding.weight'), inputs), batch, seqLen, ctx, probe, layout);
  }

  /**
   * Every MoE layer's routing scores for `forward(inputs, batch, seqLen, ctx, _, layout)`, read
   * asynchronously (moe/routing-reads.ts: backends without synchronous read-back). Block by
   * block, each from the previous block's output kept across the reads, so the cost is about one
   * untaped forward of the blocks plus one router pass per MoE layer (probing the whole forward
   * would rerun the prefix once per layer). The head is not run: it routes nothing.
   */
  async probeRouting(inputs: Int32Array, batch: number, seqLen: number, ctx: MoeCallContext, layout?: WindowLayout): Promise<RoutingRecord> {
    const record = new RoutingRecord();
    const own = layout?.mask && layout.positions;
    const consts = own
      ? tf.tidy(() => this.layoutConsts(layout.positions!, layout.mask!, batch, seqLen) as unknown as tf.TensorContainer) as unknown as AttentionConsts
      : this.attentionConsts(batch, seqLen);
    let h = tf.tidy(() => embeddingLookup(this.param('embedding.weight'), tf.tensor1d(inputs, 'int32')));
    try {
      for (let i = 0; i < this.config.nLayers; i++) {
        const x = h;
        let next: Tensor2D | undefined;
        const run = (): void => { next = tf.keep(this.block(i, x, consts, batch, seqLen, ctx).h); };
        if (this.moeLayers[i]) await probeRouting(run, record);
        else tf.tidy(run);
        h = next!;
        x.dispose();
      }
    } finally {
      h.dispose();
      if (own) tf.dispose([consts.cos, consts.sin, consts.causalMask, ...(consts.windowMasks ?? []), ...headRopeTensors(consts)]);
    }
    return record;
  }

  get dModel(): number {
    return this.config.dModel;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** The token-embedding matrix [V, D] (LanguageModel: the VLM's splice gathers text rows from it). */
  embeddingMatrix(): Variable {
    return this.param('embedding.weight');
  }

  /**
   * LanguageModel: the decoder over already-embedded rows h [B·T, D] (a VLM's spliced text and
   * image rows). Rows are right-padded, so under causal attention the real rows never see the
   * padding and `attentionMask` changes nothing; `positions` (when given) set each row's RoPE angle.
   */
  forwardEmbeddings(h: Tensor2D, batch: number, seqLen: number, ctx: MoeCallContext, layout?: EmbeddingLayout): LanguageModelForward {
    if (layout?.positions === undefined) return this.decode(h, batch, seqLen, ctx);
    return this.decode(h, batch, seqLen, ctx, undefined, { positions: layout.positions, mask: causalMaskRows(batch, seqLen) });
  }

  /** The decoder body: blocks, final norm and output projection over input embeddings h [B·T, D]. */
  private decode(input: Tensor2D, batch: number, seqLen: number, ctx: MoeCallContext, probe?: ActivationProbe, layout?: WindowLayout): LmForward {
    const c = this.config;
    const consts = layout?.mask && layout.positions ? this.layoutConsts(layout.positions, layout.mask, batch, seqLen) : this.attentionConsts(batch, seqLen);
    const P = (n: string): Variable => this.param(n);
    let h = input;
    const moe: { layer: number; out: MoeOutput }[] = [];
    // trainer.recompute: under a tape, each block keeps only its input (recompute-block.ts).
    const recompute = this.recomputeBlocks && ctx.training;
    for (let i = 0; i < c.nLayers; i++) {
      const r = recompute
        ? recomputeBlock((x) => this.block(i, x, consts, batch, seqLen, ctx), h, this.blockParams(i))
        : this.block(i, h, consts, batch, seqLen, ctx, probe);
      h = r.h;
      if (r.moe) moe.push({ layer: i, out: r.moe });
      if (recompute) probe?.(`block ${i} ${r.moe ? 'moe' : 'ffn'}`, h);
    }
    let final = layerNorm(h, P('ln_f.weight'), P('ln_f.bias'), c.layerNormEps);
    if (layout?.headRows) final = tf.gather(final, tf.tensor1d(layout.headRows, 'int32'));
    const logits = matMul2D(final, P('lm_head.weight') as unknown as Tensor2D);
    probe?.('logits', logits);
    return { logits, moe };
  }

  /**
   * One pre-LN block: h + attention(LN1 h), then + FFN or MoE of LN2. The probe sees the residual
   * stream after each sub-block.
   */
  private block(i: number, h: Tensor2D, consts: AttentionConsts, batch: number, seqLen: number, ctx: MoeCallContext, probe?: ActivationProbe): BlockResult {
    const c = this.config;
    const P = (n: string): Variable => this.param(n);
    const p = `layers.${i}.`;
    const a = layerNorm(h, P(`${p}ln1.weight`), P(`${p}ln1.bias`), c.layerNormEps);
    h = tf.add(h, causalSelfAttention(a, { qkv: P(`${p}attn.qkv`), out: P(`${p}attn.out`) }, consts, batch, seqLen, c.nHeads, c.headDim));
    probe?.(`block ${i} attention`, h);
    const f = layerNorm(h, P(`${p}ln2.weight`), P(`${p}ln2.bias`), c.layerNormEps);
    const layer = this.moeLayers[i];
    if (layer) {
      const out = layer.apply(tf.reshape(f, [batch, seqLen, c.dModel]) as Tensor3D, ctx);
      h = tf.add(h, tf.reshape(out.y, [batch * seqLen, c.dModel]));
      probe?.(`block ${i} moe`, h);
      return { h, moe: out };
    }
    h = tf.add(h, denseFfn(f, P(`${p}ffn.w1`), P(`${p}ffn.w2`)));
    probe?.(`block ${i} ffn`, h);
    return { h };
  }

  /** The trainable variables block `i` reads (its parameter names start with `layers.i.`). */
  private blockParams(i: number): Variable[] {
    const prefix = `layers.${i}.`;
    return [...this.params].filter(([name, v]) => name.startsWith(prefix) && v.trainable).map(([, v]) => v);
  }

  /**
   * Recompute each block's activations in the backward instead of keeping them (trainer.recompute;
   * recompute-block.ts): about one more forward of compute for a fraction of the memory. Refused
   * for routers whose training forward changes their state.
   */
  setRecompute(on: boolean): void {
    if (on) {
      const stateful = this.moeLayers.map((l, i) => [l, i] as const).filter(([l]) => l && statefulRouter(l.state()));
      if (stateful.length) throw new Error(`trainer.recompute: the ${stateful[0]![0]!.spec.algorithm} router of block ${stateful.map(([, i]) => i).join(', ')} changes its state during a training forward (${JSON.stringify(stateful[0]![0]!.state()).slice(0, 80)}), which a recomputed forward would apply twice; train it without recompute`);
    }
    this.recomputeBlocks = on;
  }

  private recomputeBlocks = false;

  /** Whether a forward routes (has an MoE layer): only then is there routing to read before it (moe/routing-reads.ts). */
  get routes(): boolean {
    return this.moeLayers.some((l) => l !== null);
  }

  /** Whether blocks are recomputed in the backward (setRecompute). */
  get recomputing(): boolean {
    return this.recomputeBlocks;
  }

  param(name: string): Variable {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`no parameter "${name}" in this model`);
    return v;
  }

  /** Hidden width of block `layer`'s always-on shared expert (DeepSeek variants' `keys_shared` [1, D, w]), else 0. */
  sharedExpertWidth(layer: number): number {
    const v = this.params.get(`layers.${layer}.ffn.keys_shared`);
    return v === undefined ? 0 : v.shape[v.shape.length - 1]!;
  }

  /** Number of scalar parameters (all experts counted). */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const layer of this.moeLayers) layer?.dispose();
    for (const k of this.consts.values()) tf.dispose([k.cos, k.sin, k.causalMask, ...headRopeTensors(k)]);
    this.consts.clear();
  }

  /** Position ids and masks of a laid-out batch: made in the caller's scope, not cached. */
  private layoutConsts(positions: Int32Array, mask: Float32Array, batch: number, seqLen: number): AttentionConsts {
    if (positions.length !== batch * seqLen || mask.length !== batch * seqLen * seqLen) {
      throw new Error(`window layout for ${positions.length} rows and ${mask.length} mask entries does not fit a [${batch}, ${seqLen}] batch`);
    }
    const nRotate = rotatedDims(this.config.headDim, this.config.ropeFraction);
    const { cos, sin } = nRotate > 0 ? ropeTablesAt(positions, nRotate, this.config.ropeBase) : { cos: tf.zeros([batch * seqLen, 0]) as Tensor2D, sin: tf.zeros([batch * seqLen, 0]) as Tensor2D };
    const masks = tf.tensor2d(mask, [batch * seqLen, seqLen]);
    const windowMasks = batch === 1 ? [masks] : (tf.split(masks, batch, 0) as Tensor2D[]);
    const headRope = nRotate > 0 && batchedAttentionInUse() ? headRopeTables(batch * seqLen, (r) => positions[r]!, nRotate, this.config.headDim, this.config.nHeads, this.config.ropeBase) : undefined;
    return { cos, sin, causalMask: windowMasks[0]!, windowMasks, nRotate, ...(headRope ? { headRope } : {}) };
  }

  private attentionConsts(batch: number, seqLen: number): AttentionConsts {
    // Keyed by the attention's form too: the batched one needs the all-head RoPE tables.
    const batched = batchedAttentionInUse();
    const key = `${batch}x${seqLen}${batched ? ' batched' : ''}`;
    let k = this.consts.get(key);
    if (k === undefined) {
      const nRotate = rotatedDims(this.config.headDim, this.config.ropeFraction);
      // Created inside whatever scope called forward: keep them past its tidy.
      const { cos, sin } = nRotate > 0 ? ropeTables(batch, seqLen, nRotate, this.config.ropeBase) : { cos: tf.zeros([batch * seqLen, 0]) as Tensor2D, sin: tf.zeros([batch * seqLen, 0]) as Tensor2D };
      const rope = nRotate > 0 && batched ? headRopeTables(batch * seqLen, (r) => r % seqLen, nRotate, this.config.headDim, this.config.nHeads, this.config.ropeBase) : undefined;
      const headRope = rope ? { cos: tf.keep(rope.cos), sin: tf.keep(rope.sin), turn: tf.keep(rope.turn) } : undefined;
      k = { cos: tf.keep(cos), sin: tf.keep(sin), causalMask: tf.keep(causalMask(seqLen)), nRotate, ...(headRope ? { headRope } : {}) };
      this.consts.set(key, k);
    }
    return k;
  }

  private initialised(name: string, shape: number[], data: Float32Array): void {
    this.params.set(name, tf.tidy(() => tf.variable(tf.tensor(data, shape), true, `${this.uid}.${name}`)));
  }

  private constant(name: string, shape: number[], value: number): void {
    this.params.set(name, tf.tidy(() => tf.variable(tf.fill(shape, value), true, `${this.uid}.${name}`)));
  }
}

/** [B·T, T] additive causal masks of B plain windows (0 where a row may attend, −1e9 where not). */
function causalMaskRows(batch: number, seqLen: number): Float32Array {
  const out = new Float32Array(batch * seqLen * seqLen);
  for (let r = 0; r < batch * seqLen; r++) for (let j = (r % seqLen) + 1; j < seqLen; j++) out[r * seqLen + j] = -1e9;
  return out;
}

/** Row-major [rows, Σ cols] from row-major blocks [rows, cols_i] placed side by side. */
function besideEachOther(rows: number, blocks: readonly Float32Array[]): Float32Array {
  const widths = blocks.map((b) => b.length / rows);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    blocks.forEach((b, i) => {
      out.set(b.subarray(r * widths[i]!, (r + 1) * widths[i]!), at);
      at += widths[i]!;
    });
  }
  return out;
}

/** The head-wide RoPE tables of `c`, if it has them (to dispose with the rest). */
function headRopeTensors(c: AttentionConsts): tf.Tensor[] {
  return c.headRope ? [c.headRope.cos, c.headRope.sin, c.headRope.turn] : [];
}
