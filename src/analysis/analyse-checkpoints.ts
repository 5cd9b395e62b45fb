/**
 * Every metric family of `pipeline analyze` over one run's probe results, as table rows
 * (src/sinks/tables/analysis-*.ts). Pure: the CLI runs the probe passes and writes the rows.
 *
 * A run's MoE layers sit in components (an LM run: every layer in `language_model`; a VLM:
 * `vision` encoder layers, the `projector`, decoder blocks in `language_model`). Each component
 * routes its own tokens (image patches, projected features, spliced decoder rows), so each has
 * its own token space (ids, domains, modalities), and layers are compared only within one.
 */
import type { Row } from '../sinks/table-spec.js';
import type { AnalysisTableName } from '../sinks/tables/analysis-tables.js';
import { perplexityOf } from './ablation.js';
import { checkpointChanges, saturation } from './checkpoint-dynamics.js';
import { coOccurrence, coOccurrenceCounts } from './co-occurrence.js';
import { domainSpecialisation } from './domain-specialisation.js';
import type { WeightAni } from './expert-weight-ani.js';
import { tokenJaccard, universality, usageSimilarity } from './layer-similarity.js';
import { assertComparable, pickTokens, type Routes } from './routes.js';
import { tokenConcentration } from './token-concentration.js';
import { usage, usageWindows } from './usage-windows.js';

/** Where an MoE layer sits. */
export type Component = 'language_model' | 'vision' | 'projector';
/** Components in model order (tables and plots list them so). */
export const COMPONENTS: readonly Component[] = ['vision', 'projector', 'language_model'];

export interface LayerRoutes extends Routes {
  /** Index within the component: transformer block, encoder layer, 0 for the projector. */
  readonly layer: number;
  /** Default `language_model`. */
  readonly component?: Component;
  /** ReLU pass counts of the layer's routed experts over the probe's token-slots (ReLU banks only). */
  readonly hidden?: { readonly slots: number; readonly width: number; readonly active: number };
}

/** One checkpoint's probe pass: routes per MoE layer, and the probe's next-token log-probabilities intact and ablated. */
export interface CheckpointProbe {
  readonly step: number;
  readonly layers: readonly LayerRoutes[];
  /** Per drop_top (0 = intact): per probe token of the `language_model` token space, log p(next), NaN where nothing is predicted. */
  readonly nextLogprob: ReadonlyMap<number, ArrayLike<number>>;
  /** The checkpoint's expert-weight ANI (expertWeightAni), when read; `component` default `language_model`. */
  readonly weightAni?: readonly (WeightAni & { readonly component?: Component })[];
  /** With evaluation tasks as the probe: per drop_top (0 = intact), each task's accuracy. */
  readonly taskAccuracy?: ReadonlyMap<number, readonly { readonly task: string; readonly items: number; readonly accuracy: number }[]>;
}

/** What one component's probe tokens are, token by token (the same at every checkpoint). */
export interface TokenSpace {
  /** Token id, or what stands for it (a VLM's image tokens: the position in the image); −1: none (left out of the vocabulary table). */
  readonly tokenIds: ArrayLike<number>;
  readonly domains: readonly string[];
  /** Each token's modality; absent: every token is `text` (language_model) or `image` (vision, projector). */
  readonly modalities?: readonly ('image' | 'text')[];
}

export interface AnalyseOptions {
  readonly runId: string;
  /** Per probe token: its id and its domain (the token space of every component not in `spaces`). */
  readonly tokenIds: ArrayLike<number>;
  readonly domains: readonly string[];
  /** A component's own token space (a VLM's vision, projector and decoder tokens differ). */
  readonly spaces?: Partial<Readonly<Record<Component, TokenSpace>>>;
  /** Tokens per usage window. */
  readonly windowTokens: number;
  /** Token ids seen fewer times are left out of analysis/vocabulary. */
  readonly minOccurrences: number;
}

export type AnalysisRows = Record<AnalysisTableName, Row[]>;

export function analyseCheckpoints(probes: readonly CheckpointProbe[], o: AnalyseOptions): AnalysisRows {
  const rows: AnalysisRows = { dynamics: [], specialisation: [], vocabulary: [], cooccurrence: [], layers: [], universality: [], usage: [], ablation: [], ablation_accuracy: [], ani: [], relu: [] };
  const sorted = [...probes].sort((a, b) => a.step - b.step);
  const runId = o.runId;
  const spaceOf = (c: Component): TokenSpace => o.spaces?.[c] ?? { tokenIds: o.tokenIds, domains: o.domains };
  const domainTokens = new Map<Component, [string, number[] | undefined][]>();
  const domainsOf = (c: Component): [string, number[] | undefined][] => {
    let d = domainTokens.get(c);
    if (!d) domainTokens.set(c, d = tokensByLabel(spaceOf(c).domains));
    return d;
  };
  const key = (l: LayerRoutes): string => (componentOf(l) === 'language_model' ? `${l.layer}` : `${componentOf(l)} ${l.layer}`);

  // Checkpoint dynamics: per layer, over all tokens and per domain.
  const layerKeys = sorted[0]?.layers.map(key) ?? [];
  for (const p of sorted) {
    if (p.layers.map(key).join() !== layerKeys.join()) throw new Error(`analyse: checkpoint step ${p.step} has MoE layers ${p.layers.map(key).join(',')}, step ${sorted[0]!.step} has ${layerKeys.join(',')}`);
  }
  for (const [li, first] of (sorted[0]?.layers ?? []).entries()) {
    const component = componentOf(first);
    const layer = first.layer;
    for (const [domain, idx] of domainsOf(component)) {
      const series = sorted.map((p) => ({ step: p.step, routes: idx ? pickTokens(p.layers[li]!, idx) : p.layers[li]! }));
      series.slice(1).forEach((c) => assertComparable(series[0]!.routes, c.routes, `${component} layer ${layer} step ${c.step}`));
      const changes = new Map(checkpointChanges(series).map((c) => [c.step, c]));
      for (const s of saturation(series)) {
        const c = changes.get(s.step);
        rows.dynamics.push({
          run_id: runId, step: s.step, component, layer, domain, from_step: c?.fromStep ?? -1,
          switch_fraction: c?.switchFraction ?? NaN, overlap_fraction: c?.overlapFraction ?? NaN, position_match: c?.positionMatch ?? NaN,
          final_step: s.finalStep, saturation: s.saturation, overlap_saturation: s.overlapSaturation, tokens: series[0]!.routes.tokens,
        });
      }
    }
  }

  for (const p of sorted) {
    const step = p.step;
    for (const l of p.layers) {
      const component = componentOf(l);
      const at = { run_id: runId, step, component, layer: l.layer };
      const space = spaceOf(component);
      for (const { modality, domain, d } of specialisationRows(l, component, space)) {
        rows.specialisation.push({ ...at, modality, domain, expert: d.expert, tokens: d.tokens, domain_tokens: d.domainTokens, share: d.share, vs_uniform: d.vsUniform });
      }
      const withId: number[] = [];
      for (let t = 0; t < l.tokens; t++) if (space.tokenIds[t]! >= 0) withId.push(t);
      const [vr, vi] = withId.length === l.tokens ? [l, space.tokenIds] : [pickTokens(l, withId), withId.map((t) => space.tokenIds[t]!)];
      for (const v of tokenConcentration(vr, vi, o.minOccurrences)) {
        rows.vocabulary.push({ ...at, token_id: v.tokenId, occurrences: v.occurrences, top_expert: v.topExpert, top_share: v.topShare, normalised_entropy: v.normalisedEntropy });
      }
      const counts = coOccurrenceCounts(l);
      const frac = coOccurrence(l);
      for (let i = 0; i < l.experts; i++) {
        for (let j = 0; j < l.experts; j++) rows.cooccurrence.push({ ...at, expert: i, other: j, count: counts[i * l.experts + j]!, fraction: frac[i * l.experts + j]! });
      }
      if (l.hidden) {
        const h = l.hidden;
        rows.relu.push({ ...at, slots: h.slots, width: h.width, active: h.active, pass_rate: h.slots * h.width > 0 ? h.active / (h.slots * h.width) : NaN });
      }
      const whole = usage(l);
      rows.usage.push({ ...at, window: -1, from_token: 0, tokens: l.tokens, dead_proportion: whole.deadProportion, usage_perplexity: whole.usagePerplexity });
      for (const w of usageWindows(l, o.windowTokens)) {
        rows.usage.push({ ...at, window: w.window, from_token: w.fromToken, tokens: w.tokens, dead_proportion: w.deadProportion, usage_perplexity: w.usagePerplexity });
      }
    }
    // Layer similarity needs one index space and one token space: layers are compared within their component.
    for (const component of COMPONENTS) {
      const group = p.layers.filter((l) => componentOf(l) === component);
      if (group.length === 0) continue;
      const sim = usageSimilarity(group);
      const jac = tokenJaccard(group);
      const L = group.length;
      for (let a = 0; a < L; a++) {
        for (let b = 0; b < L; b++) rows.layers.push({ run_id: runId, step, component, layer: group[a]!.layer, other: group[b]!.layer, usage_similarity: sim[a * L + b]!, token_jaccard: jac[a * L + b]! });
      }
      const u = universality(sim, L);
      rows.universality.push({ run_id: runId, step, component, layers: L, score: u.score, optimist: u.optimist });
    }

    for (const a of p.weightAni ?? []) rows.ani.push({ run_id: runId, step, component: a.component ?? 'language_model', layer: a.layer, matrix: a.matrix, parameter: a.parameter, rows: a.rows, cols: a.cols, ani: a.ani });

    const intact = new Map<string, number>();
    for (const [dropTop, lp] of [...p.nextLogprob.entries()].sort(([a], [b]) => a - b)) {
      for (const [domain, idx] of domainsOf('language_model')) {
        const inDomain = idx ? new Set(idx) : undefined;
        const s = perplexityOf(lp, inDomain ? (t) => inDomain.has(t) : undefined);
        if (dropTop === 0) intact.set(domain, s.perplexity);
        rows.ablation.push({ run_id: runId, step, drop_top: dropTop, domain, tokens: s.tokens, mean_nll: s.meanNll, perplexity: s.perplexity, delta_perplexity: s.perplexity - (intact.get(domain) ?? NaN) });
      }
    }
    const intactAccuracy = new Map((p.taskAccuracy?.get(0) ?? []).map((a) => [a.task, a.accuracy]));
    for (const [dropTop, tasks] of [...(p.taskAccuracy ?? new Map<number, never[]>()).entries()].sort(([a], [b]) => a - b)) {
      for (const a of tasks) rows.ablation_accuracy.push({ run_id: runId, step, drop_top: dropTop, task: a.task, items: a.items, accuracy: a.accuracy, delta_accuracy: a.accuracy - (intactAccuracy.get(a.task) ?? NaN) });
    }
  }
  return rows;
}

export function componentOf(l: { readonly component?: Component }): Component {
  return l.component ?? 'language_model';
}

/**
 * Specialisation rows of one layer: by domain; where the component's tokens are of both
 * modalities (a VLM decoder), the by-domain rows are modality 'all' and rows by modality
 * (domain 'all') follow. A single-modality component (all text, or all image) has no split.
 */
function specialisationRows(l: LayerRoutes, component: Component, space: TokenSpace): { modality: string; domain: string; d: ReturnType<typeof domainSpecialisation>[number] }[] {
  const mods = space.modalities;
  const single = !mods || mods.every((m) => m === mods[0]) ? (mods?.[0] ?? (component === 'language_model' ? 'text' : 'image')) : undefined;
  const out = domainSpecialisation(l, space.domains).map((d) => ({ modality: single ?? 'all', domain: d.domain, d }));
  if (!single) for (const d of domainSpecialisation(l, mods!)) out.push({ modality: d.domain, domain: 'all', d });
  return out;
}

/** 'all' (every token: no index list) first, then each label in first-seen order with its token indices. */
function tokensByLabel(labels: readonly string[]): [string, number[] | undefined][] {
  const by = new Map<string, number[]>();
  labels.forEach((d, t) => { let a = by.get(d); if (!a) by.set(d, a = []); a.push(t); });
  return [['all', undefined], ...by.entries()];
}
