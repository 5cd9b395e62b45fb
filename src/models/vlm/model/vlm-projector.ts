import type { Json } from '../../../base/json.js';
import type { Tensor3D, Variable } from '../../tf.js';
import type { MoeCallContext, MoeLayer } from '../../moe/types.js';
import { Mlp2xGeluProjector } from '../projector/mlp2x-gelu.js';
import { MoeProjector, type MoeProjectorOutput } from '../projector/moe-projector.js';
import type { ProjectorDims } from '../projector/dims.js';
import type { ProjectorConfig } from './vlm-config.js';

/** What the projector gives the VLM: features in the LM's width, and the MoE output when it is one. */
export interface ProjectorResult {
  /** [N_img, P, llm_hidden]. */
  readonly y: Tensor3D;
  readonly moe?: MoeProjectorOutput;
}

/** The two projector kinds behind one face, so the VLM does not branch on the kind. */
export interface VlmProjector {
  readonly kind: ProjectorConfig['kind'];
  /** By `mm_projector.bin` name (`0.weight` …, or `moelayer.…`). */
  readonly variables: ReadonlyMap<string, Variable>;
  /** The MoE layer of an MoE projector (routing statistics read its spec and state). */
  readonly moeLayer?: MoeLayer;
  apply(x: Tensor3D, ctx: MoeCallContext): ProjectorResult;
  state(): Json;
  setState(s: Json): void;
  dispose(): void;
}

/** A projector of `cfg`'s kind with fresh weights: experts from `seed`, the router from `routerSeed ?? seed`. */
export function buildProjector(cfg: ProjectorConfig, dims: ProjectorDims, seed: number, routerSeed?: number): VlmProjector {
  if (cfg.kind === 'mlp2x_gelu') {
    const p = new Mlp2xGeluProjector(dims, seed);
    return {
      kind: cfg.kind, variables: p.variables,
      apply: (x) => ({ y: p.apply(x).y }),
      state: () => null, setState: () => {},
      dispose: () => p.dispose(),
    };
  }
  const p = MoeProjector.create({
    dims, algorithm: cfg.algorithm, nExperts: cfg.nExperts, topK: cfg.topK, seed: routerSeed ?? seed,
    ...(cfg.options ? { options: cfg.options } : {}),
  });
  return {
    kind: cfg.kind, variables: p.variables, moeLayer: p.layer,
    apply: (x, ctx) => {
      const moe = p.apply(x, ctx);
      return { y: moe.y, moe };
    },
    state: () => p.state(), setState: (s) => p.setState(s),
    dispose: () => p.dispose(),
  };
}
