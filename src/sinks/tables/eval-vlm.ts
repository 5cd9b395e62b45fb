/**
 * `eval/vlm-items-*.parquet` (run × step × task × item: the generated answer and how each
 * protocol read it) and `eval/vlm-routing-*.parquet` (run × step × task × item × MoE component:
 * the vision tower's and the projector's expert picks on the item's image), written by
 * `pipeline eval` on a VLM run (docs/eval.md, "VLM evaluation").
 */
import type { VlmItemResult } from '../../eval/vlm/results.js';
import type { Row, TableSpec } from '../table-spec.js';
import type { EvalRunKey } from './eval-results.js';

const KEY = [
  { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' },
  { name: 'step', type: 'int32', doc: 'checkpoint step evaluated' },
  { name: 'task', type: 'dict', doc: 'task name (pope, scienceqa_img, mme)' },
  { name: 'item_id', type: 'dict', doc: "the item's id (question_id; MME: <question_id>#1 / #2)" },
] as const;
const LIMIT = { name: 'item_limit', type: 'int32', doc: '--limit the evaluation ran with (0 = all)' } as const;

export const EVAL_VLM_ITEMS: TableSpec = {
  path: 'eval/vlm-items',
  columns: [
    ...KEY,
    { name: 'group', type: 'dict', doc: 'POPE/MME category, ScienceQA subject' },
    { name: 'gold', type: 'dict', doc: '"yes"/"no", or the right option\'s letter' },
    { name: 'output', type: 'dict', doc: 'the greedy answer text, decoded (stop token excluded)' },
    { name: 'parsed', type: 'dict', doc: "lmms-eval's reading of the output (the number LibMoE reports)" },
    { name: 'correct', type: 'int16', doc: '1 if lmms-eval\'s reading is right' },
    { name: 'llava_parsed', type: 'dict', doc: "LLaVA's own script's reading (POPE: eval_pope.py; ScienceQA: eval_science_qa.py); \"\" for MME" },
    { name: 'llava_correct', type: 'int16', doc: "1 if LLaVA's reading is right; −1 where it does not apply (MME)" },
    { name: 'pair', type: 'dict', doc: 'MME: the question_id both questions on the image share; "" otherwise' },
    { name: 'new_tokens', type: 'int32', doc: 'tokens generated (stop token excluded)' },
    { name: 'finish', type: 'dict', doc: 'stop (a stop token came) or length (max_new_tokens reached)' },
    LIMIT,
  ],
};

export const EVAL_VLM_ROUTING: TableSpec = {
  path: 'eval/vlm-routing',
  columns: [
    ...KEY,
    { name: 'component', type: 'dict', doc: 'vision (an MoE encoder layer of the tower) or projector' },
    { name: 'layer', type: 'int16', doc: "the tower's MoE layer index (0 for the projector)" },
    { name: 'tokens', type: 'int32', doc: "image tokens the component routed (tower: over all S² calls, CLIP's class token included)" },
    { name: 'k', type: 'int16', doc: 'picks per token' },
    { name: 'topk_counts', type: 'list<int16>', doc: 'per expert: token-slots over all K picks' },
    { name: 'top1_counts', type: 'list<int16>', doc: 'per expert: tokens whose first pick it is' },
    LIMIT,
  ],
};

/** What the answerer knows about an item beyond its text. */
export interface VlmGenerationInfo {
  readonly newTokens: number;
  readonly finish: 'stop' | 'length';
  readonly routing: readonly { component: string; layer: number; tokens: number; k: number; topkCounts: readonly number[]; top1Counts: readonly number[] }[];
}

export function vlmItemRows(key: EvalRunKey, results: readonly VlmItemResult[], info: ReadonlyMap<string, VlmGenerationInfo>): Row[] {
  return results.map((r) => {
    const g = info.get(r.id);
    return {
      run_id: key.runId, step: key.step, task: key.task, item_id: r.id, group: r.group, gold: r.gold, output: r.output,
      parsed: r.lmmsEval.parsed, correct: r.lmmsEval.correct ? 1 : 0,
      llava_parsed: r.llava?.parsed ?? '', llava_correct: r.llava ? (r.llava.correct ? 1 : 0) : -1,
      pair: r.pair ?? '', new_tokens: g?.newTokens ?? 0, finish: g?.finish ?? '', item_limit: key.itemLimit,
    };
  });
}

export function vlmRoutingRows(key: EvalRunKey, itemIds: readonly string[], info: ReadonlyMap<string, VlmGenerationInfo>): Row[] {
  return itemIds.flatMap((id) => (info.get(id)?.routing ?? []).map((c) => ({
    run_id: key.runId, step: key.step, task: key.task, item_id: id, component: c.component, layer: c.layer, tokens: c.tokens, k: c.k,
    topk_counts: Int16Array.from(c.topkCounts), top1_counts: Int16Array.from(c.top1Counts), item_limit: key.itemLimit,
  })));
}
