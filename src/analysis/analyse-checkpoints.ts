/**
 * Every metric family of `pipeline analyze` over one run's probe results, as table rows
 * (src/sinks/tables/analysis-*.ts). Pure: the CLI runs the probe passes and writes the rows.
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

export interface LayerRoutes extends Routes {
  readonly layer: number;
  /** ReLU pass counts of the layer's routed experts over the probe's token-slots (ReLU banks only). */
  readonly hidden?: { readonly slots: number; readonly width: number; readonly active: number };
}

/** One checkpoint's probe pass: routes per MoE layer, and the probe's next-token log-probabilities intact and ablated. */
export interface CheckpointProbe {
  readonly step: number;
  readonly layers: readonly LayerRoutes[];
  /** Per drop_top (0 = intact): per probe token log p(next), NaN where nothing follows. */
  readonly nextLogprob: ReadonlyMap<number, ArrayLike<number>>;
  /** The checkpoint's expert-weight ANI (expertWeightAni), when read. */
  readonly weightAni?: readonly WeightAni[];
  /** With evaluation tasks as the probe: per drop_top (0 = intact), each task's accuracy. */
  readonly taskAccuracy?: ReadonlyMap<number, readonly { readonly task: string; readonly items: number; readonly accuracy: number }[]>;
}

export interface AnalyseOptions {
  readonly runId: string;
  /** Per probe token: its id and its domain (the same probe set at every checkpoint). */
  readonly tokenIds: ArrayLike<number>;
  readonly domains: readonly string[];
  /** Tokens per usage window. */
  readonly windowTokens: number;
  /** Token ids seen fewer times are left out of analysis/vocabulary. */
  readonly minOccurrences: number;
}

export type AnalysisRows = Record<AnalysisTableName, Row[]>;

export function analyseCheckpoints(probes: readonly CheckpointProbe[], o: AnalyseOptions): AnalysisRows {
  const rows: AnalysisRows = { dynamics: [], specialisation: [], vocabulary: [], cooccurrence: [], layers: [], universality: [], usage: [], ablation: [], ablation_accuracy: [], ani: [], relu: [] };
  const sorted = [...probes].sort((a, b) => a.step - b.step);
  const domainTokens = tokensByDomain(o.domains);
  const runId = o.runId;

  // Checkpoint dynamics: per layer, over all tokens and per domain.
  const layerIds = sorted[0]?.layers.map((l) => l.layer) ?? [];
  for (const p of sorted) {
    if (p.layers.map((l) => l.layer).join() !== layerIds.join()) throw new Error(`analyse: checkpoint step ${p.step} has MoE layers ${p.layers.map((l) => l.layer).join(',')}, step ${sorted[0]!.step} has ${layerIds.join(',')}`);
  }
  for (const [li, layer] of layerIds.entries()) {
    for (const [domain, idx] of domainTokens) {
      const series = sorted.map((p) => ({ step: p.step, routes: idx ? pickTokens(p.layers[li]!, idx) : p.layers[li]! }));
      series.slice(1).forEach((c) => assertComparable(series[0]!.routes, c.routes, `layer ${layer} step ${c.step}`));
      const changes = new Map(checkpointChanges(series).map((c) => [c.step, c]));
      for (const s of saturation(series)) {
        const c = changes.get(s.step);
        rows.dynamics.push({
          run_id: runId, step: s.step, layer, domain, from_step: c?.fromStep ?? -1,
          switch_fraction: c?.switchFraction ?? NaN, overlap_fraction: c?.overlapFraction ?? NaN, position_match: c?.positionMatch ?? NaN,
          final_step: s.finalStep, saturation: s.saturation, overlap_saturation: s.overlapSaturation, tokens: series[0]!.routes.tokens,
        });
      }
    }
  }

  for (const p of sorted) {
    const step = p.step;
    for (const l of p.layers) {
      for (const d of domainSpecialisation(l, o.domains)) {
        rows.specialisation.push({ run_id: runId, step, layer: l.layer, domain: d.domain, expert: d.expert, tokens: d.tokens, domain_tokens: d.domainTokens, share: d.share, vs_uniform: d.vsUniform });
      }
      for (const v of tokenConcentration(l, o.tokenIds, o.minOccurrences)) {
        rows.vocabulary.push({ run_id: runId, step, layer: l.layer, token_id: v.tokenId, occurrences: v.occurrences, top_expert: v.topExpert, top_share: v.topShare, normalised_entropy: v.normalisedEntropy });
      }
      const counts = coOccurrenceCounts(l);
      const frac = coOccurrence(l);
      for (let i = 0; i < l.experts; i++) {
        for (let j = 0; j < l.experts; j++) rows.cooccurrence.push({ run_id: runId, step, layer: l.layer, expert: i, other: j, count: counts[i * l.experts + j]!, fraction: frac[i * l.experts + j]! });
      }
      if (l.hidden) {
        const h = l.hidden;
        rows.relu.push({ run_id: runId, step, layer: l.layer, slots: h.slots, width: h.width, active: h.active, pass_rate: h.slots * h.width > 0 ? h.active / (h.slots * h.width) : NaN });
      }
      const whole = usage(l);
      rows.usage.push({ run_id: runId, step, layer: l.layer, window: -1, from_token: 0, tokens: l.tokens, dead_proportion: whole.deadProportion, usage_perplexity: whole.usagePerplexity });
      for (const w of usageWindows(l, o.windowTokens)) {
        rows.usage.push({ run_id: runId, step, layer: l.layer, window: w.window, from_token: w.fromToken, tokens: w.tokens, dead_proportion: w.deadProportion, usage_perplexity: w.usagePerplexity });
      }
    }
    // Layer similarity needs one index space: layers with different widths are not compared.
    const sim = usageSimilarity(p.layers);
    const jac = tokenJaccard(p.layers);
    const L = p.layers.length;
    for (let a = 0; a < L; a++) {
      for (let b = 0; b < L; b++) rows.layers.push({ run_id: runId, step, layer: p.layers[a]!.layer, other: p.layers[b]!.layer, usage_similarity: sim[a * L + b]!, token_jaccard: jac[a * L + b]! });
    }
    const u = universality(sim, L);
    rows.universality.push({ run_id: runId, step, layers: L, score: u.score, optimist: u.optimist });

    for (const a of p.weightAni ?? []) rows.ani.push({ run_id: runId, step, layer: a.layer, matrix: a.matrix, parameter: a.parameter, rows: a.rows, cols: a.cols, ani: a.ani });

    const intact = new Map<string, number>();
    for (const [dropTop, lp] of [...p.nextLogprob.entries()].sort(([a], [b]) => a - b)) {
      for (const [domain, idx] of domainTokens) {
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

/** 'all' (every token: no index list) first, then each domain in first-seen order with its token indices. */
function tokensByDomain(domains: readonly string[]): [string, number[] | undefined][] {
  const by = new Map<string, number[]>();
  domains.forEach((d, t) => { let a = by.get(d); if (!a) by.set(d, a = []); a.push(t); });
  return [['all', undefined], ...by.entries()];
}
