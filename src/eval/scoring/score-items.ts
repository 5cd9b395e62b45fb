/**
 * Items → per-item results, through a ContinuationScorer: tokenise context and continuation
 * separately (LibMoE), fit each request into the window (left cut, counted), score whole items
 * in calls of up to `batchSize` requests (longest first, so a call's padding is small; an item's
 * options adjacent, so their shared context is read once), then apply the decision rules. Nothing here depends on how the
 * requests were grouped, so results cannot depend on the batch size.
 */
import type { ContinuationScore, ContinuationScorer } from '../../models/lm/continuation-types.js';
import type { ChoiceItem, EvalItem, LastWordItem } from '../items.js';
import { firstArgmax, libmoeScore, pyLen, strictlyBest, type OptionNumbers } from './choice-rules.js';
import { fitWindow, type FittedRequest } from './fit-window.js';
import type { ChoiceResult, ItemResult, LastWordResult } from './results.js';

/** The run's tokenizer as evaluation needs it: no special tokens added (LibMoE encodes without BOS/EOS). */
export interface EvalTokenizer {
  encode(texts: readonly string[]): Promise<Int32Array[]>;
  decode(ids: ArrayLike<number>): Promise<string>;
}

export interface ScoreItemsOptions {
  readonly tokenizer: EvalTokenizer;
  readonly scorer: ContinuationScorer;
  /** Requests (options) per scorer call. */
  readonly batchSize: number;
  /** 'items': score in item order (a scorer that records per call, e.g. routing capture, relies on
   *  it); default 'longest-first'. */
  readonly order?: 'longest-first' | 'items';
  /** Called after each scorer call with the number of items finished so far. */
  readonly onProgress?: (itemsDone: number) => void;
}

interface Planned {
  readonly item: EvalItem;
  /** Indices into the request list, one per option (one for a last-word item). */
  readonly requests: number[];
}

export async function scoreItems(items: readonly EvalItem[], opts: ScoreItemsOptions): Promise<ItemResult[]> {
  const { tokenizer, scorer } = opts;
  const contexts = await tokenizer.encode(items.map((it) => it.context));
  const contTexts: string[] = [];
  for (const it of items) {
    if (it.kind === 'choice') for (const o of it.options) contTexts.push(it.delimiter + o);
    else contTexts.push(` ${it.target}`);
  }
  const conts = await tokenizer.encode(contTexts);
  const requests: FittedRequest[] = [];
  const plan: Planned[] = [];
  let c = 0;
  items.forEach((item, i) => {
    const n = item.kind === 'choice' ? item.options.length : 1;
    // Only LibMoE's unnormalised choice score (BLiMP, CBT) reads the context's own log-probability.
    const scoreContext = item.kind === 'choice' && !item.lengthNormalised;
    const idx: number[] = [];
    for (let k = 0; k < n; k++) {
      idx.push(requests.length);
      requests.push({ ...fitWindow(contexts[i]!, conts[c++]!, scorer.maxTokens), scoreContext });
    }
    plan.push({ item, requests: idx });
  });

  const scores: ContinuationScore[] = new Array(requests.length);
  const batch = Math.max(1, Math.floor(opts.batchSize));
  // An item's options go to the scorer together and in a row, so it can read their shared
  // context once; items of similar length share a call (longest first), so a call pads to
  // little more than its longest window. A call holds whole items, up to `batchSize` requests
  // (one item at least). The order is a pure function of the items, and a score does not depend
  // on its batch-mates, so results are the same as in item order.
  const itemOrder = plan.map((_, i) => i);
  if (opts.order !== 'items') itemOrder.sort((a, b) => itemRows(plan[b]!, requests) - itemRows(plan[a]!, requests) || a - b);
  let itemsDone = 0;
  for (let start = 0; start < itemOrder.length;) {
    const ids: number[] = [];
    let end = start;
    while (end < itemOrder.length && (ids.length === 0 || ids.length + plan[itemOrder[end]!]!.requests.length <= batch)) {
      ids.push(...plan[itemOrder[end]!]!.requests);
      end++;
    }
    const got = await scorer.score(ids.map((r) => requests[r]!));
    if (got.length !== ids.length) throw new Error(`scorer returned ${got.length} scores for ${ids.length} requests`);
    got.forEach((s, j) => { scores[ids[j]!] = s; });
    itemsDone += end - start;
    start = end;
    opts.onProgress?.(itemsDone);
  }

  const out: ItemResult[] = [];
  for (const p of plan) {
    if (p.item.kind === 'choice') out.push(choiceResult(p.item, p.requests.map((r) => requests[r]!), p.requests.map((r) => scores[r]!)));
    else out.push(await lastWordResult(p.item, requests[p.requests[0]!]!, scores[p.requests[0]!]!, tokenizer));
  }
  return out;
}

/** Rows an item's requests fill with its context read once (the longest context, when a cut made them differ). */
function itemRows(p: Planned, requests: readonly FittedRequest[]): number {
  let context = 0;
  let rest = 0;
  for (const r of p.requests) {
    context = Math.max(context, requests[r]!.context.length);
    rest += requests[r]!.continuation.length - 1;
  }
  return context + rest;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

export function choiceResult(item: ChoiceItem, reqs: readonly FittedRequest[], scores: readonly ContinuationScore[]): ChoiceResult {
  const opts: OptionNumbers[] = scores.map((s, k) => ({
    loglik: sum(s.tokenLogprobs),
    contextLogprob: s.contextLogprob,
    tokens: s.tokenLogprobs.length,
    chars: pyLen(item.options[k]!),
  }));
  const libmoe = opts.map((o) => libmoeScore(o, item.lengthNormalised));
  const logliks = opts.map((o) => o.loglik);
  const norm = opts.map((o) => o.loglik / Math.max(1, o.chars));
  return {
    kind: 'choice', id: item.id, group: item.group, gold: item.gold,
    scores: libmoe, logliks, tokens: opts.map((o) => o.tokens), chars: opts.map((o) => o.chars),
    prediction: firstArgmax(libmoe),
    correct: strictlyBest(libmoe, item.gold),
    acc: firstArgmax(logliks) === item.gold,
    accNorm: firstArgmax(norm) === item.gold,
    truncated: reqs.some((r) => r.cut > 0),
  };
}

export async function lastWordResult(item: LastWordItem, req: FittedRequest, s: ContinuationScore, tokenizer: EvalTokenizer): Promise<LastWordResult> {
  const predicted = (await tokenizer.decode(s.greedy)).trim();
  let greedyTokens = true;
  for (let i = 0; i < s.greedy.length; i++) if (s.greedy[i] !== req.continuation[i]) greedyTokens = false;
  return {
    kind: 'last-word', id: item.id, group: item.group, target: item.target, predicted,
    loglik: sum(s.tokenLogprobs), tokens: s.tokenLogprobs.length,
    correct: predicted === item.target,
    greedyTokens,
    truncated: req.cut > 0,
  };
}
