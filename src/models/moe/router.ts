import type { Json } from '../../base/json.js';
import type { Tensor2D, Variable } from '../tf.js';
import type { ExpertBank } from './experts/expert-bank.js';
import type { ExpertKind } from './experts/registry.js';
import type { ParamFactory } from './init.js';
import type { RouterOption } from './options.js';
import type { Internal, RouteInput, Routing } from './routing.js';
import type { MoeLayerSpec } from './types.js';

/**
 * A router: it decides where token-slots go and how their outputs combine. It does not
 * choose the experts: the layer builds the bank of `spec.nExperts` experts of `spec.expert`'s
 * kind (experts/registry.ts) and routes bank indices to it. What a router owns beyond that it
 * declares here: parameters (its own and its always-on shared experts'), special experts
 * joined after the bank (MoE++'s copy and constant experts; zero / null slots are routing
 * slots that compute nothing), and how the routed output becomes the layer output.
 */
export interface Router {
  /** Router parameters and any shared-expert parameters, unprefixed LibMoE names. */
  readonly variables: ReadonlyMap<string, Variable>;
  /** Experts joined after the layer's bank (their indices follow its nExperts). */
  readonly specials?: ExpertBank;
  route(input: RouteInput): Routing;
  /** routed [N, D] → layer output [N, D] (shared experts); default: routed itself. May add internals.
   *  `bank` is the layer's bank (`smoe_share` runs its last expert always-on). */
  finish?(routed: Tensor2D, input: RouteInput, internals: Record<string, Internal>, bank: ExpertBank): Tensor2D;
  state?(): Json;
  setState?(state: Json): void;
}

/** What a router factory gets: the layer spec, its parameter factory, and experts of the layer's kind. */
export interface RouterContext {
  readonly spec: MoeLayerSpec;
  readonly params: ParamFactory;
  /** `count` always-on experts of the layer's kind and hidden width `width`, under the kind's shared names. */
  sharedExperts(count: number, width: number): ExpertBank;
}

/** A registry entry: the router's factory and what it declares about itself. */
export interface RouterDef {
  /** The expert kind of the router's LibMoE stack (VLM routers gelu-mlp, LM routers relu-kv): `expert: auto` resolves to it. */
  readonly defaultExpert: ExpertKind;
  /** Every option the router reads; any other key in `spec.options` is an error. */
  readonly options: readonly RouterOption[];
  create(ctx: RouterContext): Router;
}
