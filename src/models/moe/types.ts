/**
 * The contract between an MoE layer and the models that host it (ARCHITECTURE.md §3).
 * A layer = router (one file per LibMoE algorithm, in a registry keyed by LibMoE's names)
 * + experts + dropless dispatch/combine. Several variants can live in one process.
 */
import type { Json } from '../../base/json.js';
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from '../tf.js';
import type { MlpActivation } from '../kernels/activations.js';

/** How a gelu-mlp expert's two linears are named: `Sequential(Linear, act, Linear)` → `0`/`2`
 *  (LibMoE's `nn.Sequential` experts), or the CLIP/SigLIP MLP's `fc1`/`fc2`. */
export type GeluMlpNames = 'sequential' | 'fc';

/** Expert FFN families of the two LibMoE stacks. */
export type ExpertSpec =
  /** VLM: W2·act(W1·x + b1) + b2; `hidden` = H. `activation` defaults to exact (erf) GELU
   *  (the projector's and LibMoE's generic experts); the vision towers' experts are their
   *  MLP, with the tower's activation and `names: 'fc'` (`experts.{e}.fc1/fc2.*`). */
  | { readonly kind: 'gelu-mlp'; readonly hidden: number; readonly activation?: MlpActivation; readonly names?: GeluMlpNames }
  /** LM (σ-MoE): relu(x·keys[e])·values[e], no biases; `size` = expert_size s. */
  | { readonly kind: 'relu-kv'; readonly size: number };

export interface MoeLayerSpec {
  /** Registry name, LibMoE's own (e.g. 'smoe', 'xmoe', 'moe_layer', 'moe_layer_deepseekv2'). */
  readonly algorithm: string;
  readonly dModel: number;
  /**
   * Output width when it differs from the input width (LibMoE's `MoeLayer(in_embed_dim,
   * out_embed_dim)`: the MoE projector maps mm_hidden·len(scales) → the LLM width). Default
   * `dModel`. Only gelu-mlp experts and routers without special experts support in ≠ out.
   */
  readonly dOut?: number;
  /** E as LibMoE's config counts it (shared experts / MoE++ specials: see the golden README §5). */
  readonly nExperts: number;
  readonly topK: number;
  readonly expert: ExpertSpec;
  /** Algorithm options under LibMoE's config names (balance_loss_coef, router_z_loss_coef,
   *  selection_mode, perplexity_reg_mode, perplexity_reg, n_group, topk_group, theta, topk_min, topk_max ...). */
  readonly options?: Readonly<Record<string, Json>>;
  /** Optional capacity factor; dropless when absent. Dropped slots are reported in stats. */
  readonly capacityFactor?: number;
  /** Seed for this layer's initialisation (router init follows LibMoE: N(0, 0.02)). */
  readonly seed: number;
  /** Prefix for variable names, e.g. 'layers.3.ffn.' (names below it are LibMoE's state_dict names). */
  readonly name?: string;
}

export interface MoeCallContext {
  readonly training: boolean;
  /** Global optimiser step (Hyper-R's dynamic K, schedules). */
  readonly step: number;
  readonly totalSteps: number;
  /** Return router internals under LibMoE's names in `MoeOutput.internals` (parity tests, debugging). */
  readonly collectInternals?: boolean;
  /**
   * Expert ablation (LibMoE's DropTop-1 / DropTop-1&2, docs/analysis.md): each token's first
   * `dropTop` picks compute nothing; the other picks keep their gate weights (no renormalisation),
   * shared experts still run. This layer's routing, statistics and aux losses are those of the intact router
   * (on its input, which ablated layers below may have changed).
   * Evaluation only: an error in training.
   */
  readonly dropTop?: number;
  /**
   * Count, per computed token-slot, the routed experts' hidden units that pass the ReLU
   * (LibMoE's `relu_pass_rate`, docs/analysis.md) into `MoeOutput.hiddenActive`. Only layers
   * whose bank is ReLU (relu-kv) report it; the computation is unchanged.
   */
  readonly countActiveHidden?: boolean;
  /**
   * Also reduce the routing statistics per group of tokens into `MoeOutput.groupStats` (a VLM
   * decoder's image-feature rows and text rows, issue 10 "Statistics"). The routing, the output
   * and the aux losses are unchanged: this only adds statistics.
   */
  readonly statGroups?: StatGroups;
  /**
   * Set by the layer during a routing probe (routing-reads.ts: the untaped forward that reads
   * routing scores asynchronously before the real one): routers compute as in `training` but
   * change no state (DeepSeek's bias, ReMoE's λ, X-MoE's in-place renormalisation).
   */
  readonly routingProbe?: boolean;
}

/** Which group each token of a layer call belongs to, for per-group routing statistics. */
export interface StatGroups {
  /** [B·T] group of each token in the call's row order, 0..count−1, or −1 for none (padding). */
  readonly groupOf: Int32Array;
  readonly count: number;
}

/**
 * Routing statistics reduced inside the graph to small tensors (no gradients), so a step
 * reads them all back in one batch. Counts are over token-slots of this call.
 */
export interface RoutingStatTensors {
  /** [E_r] token-slots routed to each router index (all K picks); E_r is the router's width
   *  (TC-MoE: 2E + K ternary slots; MoE++: E + 2). */
  readonly tokenSlots: Tensor1D;
  /** [E] tokens whose first pick is the expert. */
  readonly top1Count: Tensor1D;
  /** [E] Σ over tokens of the router probability (softmax of the router logits, for every router). */
  readonly probMass: Tensor1D;
  /** [E] Σ of gate weights given to the expert. */
  readonly gateMass: Tensor1D;
  /** Scalars summed over tokens: entropy of the top-k weights (nats), of the full distribution, and top-1 − top-2 margin. */
  readonly entropyTopKSum: Scalar;
  readonly entropyFullSum: Scalar;
  readonly marginSum: Scalar;
  /** Slots dropped by the capacity factor (0 when dropless). */
  readonly droppedSlots: Scalar;
}

/** The routing statistics of one token group of a call (MoeCallContext.statGroups). */
export interface GroupStats {
  /** The group's tokens, ascending indices into the call's B·T rows. */
  readonly tokens: Int32Array;
  readonly stats: RoutingStatTensors;
}

export interface MoeOutput {
  /** [B, T, D_out] layer output (differentiable); D_out = spec.dOut ?? spec.dModel. */
  readonly y: Tensor3D;
  /** Each auxiliary loss under LibMoE's component name (golden README §5), as LibMoE reports it. */
  readonly aux: Readonly<Record<string, Scalar>>;
  /** The sum that enters the objective (`aux_total`). */
  readonly auxTotal: Scalar;
  /** Host copy of the selected experts (router index space), [B·T·K] row-major (routing runs outside the tape). */
  readonly selected: Int32Array;
  /** K of this call: Hyper-R's dynamic K varies with the step; shared-expert variants route K−1. */
  readonly k: number;
  /** [B·T, K] gate weights as used in the combine (signed for TC-MoE). Do not put it in a loss. */
  readonly gates: Tensor2D;
  readonly stats: RoutingStatTensors;
  /** With `ctx.statGroups`: per group, its tokens (indices into the call's rows) and its statistics. */
  readonly groupStats?: readonly GroupStats[];
  /** Router internals under LibMoE/golden names (router_logits, gate_weights, ...) when
   *  `ctx.collectInternals`; tensors, host integer arrays or numbers. */
  readonly internals?: Readonly<Record<string, Tensor | Int32Array | Float32Array | number>>;
  /** With `ctx.countActiveHidden` on a ReLU bank: per computed token-slot row (expert order),
   *  its token and the number of its `width` hidden units > 0 (int32 [rows]). Routed experts only. */
  readonly hiddenActive?: { readonly perRow: Tensor; readonly tokenOfRow: Int32Array; readonly width: number };
}

export interface MoeLayer {
  readonly spec: MoeLayerSpec;
  /** Trainable parameters by LibMoE state_dict name (prefixed with spec.name). */
  readonly variables: ReadonlyMap<string, Variable>;
  /** x: [B, T, D]. Call inside the tape; stateful updates (DeepSeek bias, ReMoE λ, X-MoE
   *  embedding renormalisation, dynamic K) happen as LibMoE does them and show in `state()`. */
  apply(x: Tensor3D, ctx: MoeCallContext): MoeOutput;
  /** Non-trainable state (bias, λ, ...), JSON-serialisable, saved in checkpoints. */
  state(): Json;
  setState(state: Json): void;
  dispose(): void;
}
