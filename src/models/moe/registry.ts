import { ParamFactory } from './init.js';
import { ComposedMoeLayer } from './composed-layer.js';
import { EXPERT_KINDS, expertBank, expertSpec, expertStyle, expertWidth, type ExpertKind } from './experts/registry.js';
import { checkRouterOptions, type RouterOption } from './options.js';
import type { RouterDef } from './router.js';
import type { ExpertSpec, MoeLayer, MoeLayerSpec } from './types.js';
import { moeLayer } from './routers/moe-layer.js';
import { smoe } from './routers/smoe.js';
import { hyperrouter } from './routers/hyperrouter.js';
import { smoeSigmoidGating } from './routers/smoe-sigmoidgating.js';
import { xmoe } from './routers/xmoe.js';
import { smoeShare, smoeShareV3 } from './routers/smoe-share.js';
import { smoeTcMoe } from './routers/smoe-tcmoe.js';
import { smoePlusPlus } from './routers/smoe-plus-plus.js';
import { smoeCosineGating, smoePerturbed } from './routers/cosine-gating.js';
import { sigmoidR } from './routers/sigmoid-r.js';
import { remoe } from './routers/remoe.js';
import { moeLayerXmoe } from './routers/moe-layer-xmoe.js';
import { moeLayerDeepseekV2, moeLayerDeepseekV3 } from './routers/deepseek.js';
import { moeLayerTcMoe } from './routers/moe-layer-tc-moe.js';
import { moeLayerRemoe } from './routers/moe-layer-remoe.js';

/**
 * Every router by LibMoE's registry name (VLM `@register_moe` names, LM `MOE_TYPE` module
 * names). docs/routers.md lists options and losses per name.
 */
const REGISTRY = new Map<string, RouterDef>([
  // VLM (LibMoE vision_language_model, @register_moe names)
  ['smoe', smoe],
  ['smoe_sigmoidgating', smoeSigmoidGating],
  ['xmoe', xmoe],
  ['smoe_share', smoeShare],
  ['smoe_sharev3', smoeShareV3],
  ['smoe_tcmoe', smoeTcMoe],
  ['smoe_plus_plus', smoePlusPlus],
  // VLM, paper v1.1 routers (Sigmoid-R renamed: main reuses its name for σ-MoE)
  ['smoe_cosinegating', smoeCosineGating],
  ['smoe_perturbed', smoePerturbed],
  ['smoe_sigmoidgating_v1', sigmoidR],
  ['hyperrouter', hyperrouter],
  ['remoe', remoe],
  // LM (LibMoE language_modeling, MOE_TYPE module names)
  ['moe_layer', moeLayer],
  ['moe_layer_xmoe', moeLayerXmoe],
  ['moe_layer_deepseekv2', moeLayerDeepseekV2],
  ['moe_layer_deepseekv3', moeLayerDeepseekV3],
  ['moe_layer_tc_moe', moeLayerTcMoe],
  ['moe_layer_remoe', moeLayerRemoe],
]);

export function registerMoeAlgorithm(name: string, def: RouterDef): void {
  if (REGISTRY.has(name)) throw new Error(`MoE algorithm ${name} is already registered`);
  REGISTRY.set(name, def);
}

export function moeAlgorithms(): string[] {
  return [...REGISTRY.keys()].sort();
}

function routerDef(algorithm: string): RouterDef {
  const def = REGISTRY.get(algorithm);
  if (!def) throw new Error(`unknown MoE algorithm '${algorithm}'; known: ${moeAlgorithms().join(', ')}`);
  return def;
}

/** The options router `algorithm` declares (name, type, default, doc). */
export function routerOptions(algorithm: string): readonly RouterOption[] {
  return routerDef(algorithm).options;
}

/**
 * What pipeline validation needs from the registry (src/config/load.ts ValidateOptions): router
 * names, each router's option names, and a check of option values (each declared option read
 * as the router will read it), so a wrong value fails at load and --dry-run, not at model build.
 */
export function routerCatalog(): { algorithms: string[]; routerOptions: Record<string, string[]>; routerOptionValues: (algorithm: string, options: Readonly<Record<string, unknown>>) => string[] } {
  const algorithms = moeAlgorithms();
  return { algorithms, routerOptions: Object.fromEntries(algorithms.map((a) => [a, routerOptions(a).map((o) => o.name)])), routerOptionValues: routerOptionProblems };
}

/** One message per declared option of `algorithm` whose value in `options` the router would refuse. */
export function routerOptionProblems(algorithm: string, options: Readonly<Record<string, unknown>>): string[] {
  if (!REGISTRY.has(algorithm)) return [];
  const spec = { algorithm, options } as unknown as MoeLayerSpec;
  return routerOptions(algorithm).flatMap((o) => {
    try {
      o.read(spec);
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  });
}

/** `model.moe.expert`: an expert kind, or `auto` for the kind the router declares. */
export const EXPERT_CHOICES = ['auto', ...EXPERT_KINDS] as const;
export type ExpertChoice = (typeof EXPERT_CHOICES)[number];

/** The expert kind for `algorithm` under `choice`: `auto` is the router's declared default. */
export function expertKindFor(algorithm: string, choice: ExpertChoice = 'auto'): ExpertKind {
  return choice === 'auto' ? routerDef(algorithm).defaultExpert : choice;
}

/** The experts of a layer of `algorithm` with hidden width `width` (gelu-mlp H or relu-kv s) under `choice`. */
export function expertSpecFor(algorithm: string, width: number, choice: ExpertChoice = 'auto'): ExpertSpec {
  return expertSpec(expertKindFor(algorithm, choice), width);
}

/**
 * A layer = router `spec.algorithm` + a bank of `spec.nExperts` experts of `spec.expert`'s
 * kind from the expert registry. Options the router does not declare are refused here, for
 * library users who build layers without a pipeline file.
 */
export function createMoeLayer(spec: MoeLayerSpec): MoeLayer {
  const def = routerDef(spec.algorithm);
  checkRouterOptions(spec, def.options);
  const pf = new ParamFactory(spec.seed, spec.name ?? '');
  const kind = spec.expert.kind;
  const style = expertStyle(spec.expert);
  const dOut = spec.dOut ?? spec.dModel;
  if (dOut !== spec.dModel && kind !== 'gelu-mlp') throw new Error(`${kind} experts map D → D; an output width ${dOut} ≠ ${spec.dModel} needs gelu-mlp experts`);
  const router = def.create({
    spec,
    params: pf,
    sharedExperts: (count, width) => expertBank(kind, pf, { count, dModel: spec.dModel, width, dOut, role: 'shared', ...style }),
  });
  // MoE++'s copy expert returns its input: it has no place in a layer that changes width.
  if (router.specials && dOut !== spec.dModel) {
    for (const v of [...router.variables.values(), ...router.specials.variables.values()]) v.dispose();
    throw new Error(`${spec.algorithm}: its special experts map D → D; the layer cannot output width ${dOut} ≠ ${spec.dModel}`);
  }
  const bank = expertBank(kind, pf, { count: spec.nExperts, dModel: spec.dModel, width: expertWidth(spec.expert), dOut, role: 'routed', ...style });
  return new ComposedMoeLayer(spec, router, bank);
}
