import type { Json } from '../../../base/json.js';
import { tf, type Scalar, type Tensor3D, type Variable } from '../../tf.js';
import { createMoeLayer } from '../../moe/registry.js';
import { upcycleDenseFfn, type DenseFfnWeights } from '../../moe/upcycle-ffn.js';
import type { MoeCallContext, MoeLayer, MoeLayerSpec, MoeOutput } from '../../moe/types.js';
import { projectorInWidth, type ProjectorDims } from './dims.js';

/** LibMoE's `MLPMoE` (`mm_projector_type 'moe'`): which router, how many experts. */
export interface MoeProjectorSpec {
  readonly dims: ProjectorDims;
  /** Any VLM router of the registry by LibMoE's name (`--moe_name`: 'smoe', 'xmoe', …). */
  readonly algorithm: string;
  readonly nExperts: number;
  readonly topK: number;
  /** Router options under LibMoE's names (balance_loss_coef, router_z_loss_coef, std_gate, …). */
  readonly options?: Readonly<Record<string, Json>>;
  /** Seed of the fresh parameters (the router; the experts too unless upcycled). */
  readonly seed: number;
}

/**
 * The MoE layer's output (y: [B, T, llm_hidden]). Its `aux` holds the layer's losses
 * (`balance_loss`, `router_z_loss`, `aux_total`, …) and LibMoE's logged `infor_aux` as
 * `reported_<component>` (the same values, which LibMoE detaches for logging); `auxTotal` is what
 * enters the training loss (LibMoE's `aux_mlp`). No ReLU experts here, so no `hiddenActive`.
 */
export type MoeProjectorOutput = Omit<MoeOutput, 'hiddenActive'>;

/** LibMoE's attribute name of the MoE layer inside `MLPMoE`: its parameters are `moelayer.*`. */
const PREFIX = 'moelayer.';

/**
 * The MoE projector: an MoE layer whose experts are `mlp2x_gelu` projectors
 * (Linear(in, llm) → GELU → Linear(llm, llm), in ≠ out) and whose router is any VLM router of
 * the registry. Parameters carry `mm_projector.bin`'s names (`moelayer.gate.weight`,
 * `moelayer.experts.{j}.{0,2}.*`).
 */
export class MoeProjector {
  readonly variables: ReadonlyMap<string, Variable>;

  private constructor(readonly spec: MoeProjectorSpec, /** The MoE layer (its spec and state: routing statistics). */ readonly layer: MoeLayer) {
    this.variables = new Map([...layer.variables].map(([k, v]) => [PREFIX + k, v]));
  }

  /** Fresh experts (torch.nn.Linear init) and router (LibMoE's N(0, std_gate)). */
  static create(spec: MoeProjectorSpec): MoeProjector {
    return new MoeProjector(spec, createMoeLayer(layerSpec(spec)));
  }

  /**
   * LibMoE's SFT start (`initialize_vision_modules` with `mlp_smoe`, `sparse_upcycling`): every
   * expert is a copy of the stage-2 dense projector; the router keeps its fresh init.
   */
  static upcycle(spec: MoeProjectorSpec, dense: DenseFfnWeights): MoeProjector {
    return new MoeProjector(spec, upcycleDenseFfn(layerSpec(spec), dense));
  }

  /** x [B, T, mm_hidden·len(scales)] → [B, T, llm_hidden]. Call inside a tape or tidy. */
  apply(x: Tensor3D, ctx: MoeCallContext): MoeProjectorOutput {
    const out = this.layer.apply(x, ctx);
    const aux: Record<string, Scalar> = { ...out.aux };
    // LibMoE logs each component (not the total) detached; nothing takes their gradient here.
    for (const [k, v] of Object.entries(out.aux)) if (k !== 'aux_total') aux[`reported_${k}`] = tf.clone(v);
    return {
      y: out.y, aux, auxTotal: out.auxTotal, selected: out.selected, k: out.k, gates: out.gates, stats: out.stats,
      ...(out.internals ? { internals: out.internals } : {}),
    };
  }

  /** The MoE layer's non-trainable state (bias, λ, …), for checkpoints. */
  state(): Json {
    return this.layer.state();
  }

  setState(state: Json): void {
    this.layer.setState(state);
  }

  dispose(): void {
    this.layer.dispose();
  }
}

function layerSpec(s: MoeProjectorSpec): MoeLayerSpec {
  const llm = s.dims.llmHidden;
  return {
    algorithm: s.algorithm,
    dModel: projectorInWidth(s.dims),
    dOut: llm,
    nExperts: s.nExperts,
    topK: s.topK,
    // LibMoE's MoeLayer(in, out) experts: Linear(in, out) → GELU → Linear(out, out).
    expert: { kind: 'gelu-mlp', hidden: llm },
    ...(s.options ? { options: s.options } : {}),
    seed: s.seed,
  };
}
