/**
 * `eval/routing-*.parquet` (run × step × task × item × option × MoE layer) and
 * `eval/routes-*.parquet` (the same × input position, for a sampled subset of items): LibMoE's
 * eval-time routing logs (libmoe.md §6.3), written by `pipeline eval --routing`.
 */
import type { LayerRoutes, LayerRouting } from '../../models/lm/eval-routing.js';
import type { Row, TableSpec } from '../table-spec.js';
import type { EvalRunKey } from './eval-results.js';

const KEY_COLUMNS = [
  { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' },
  { name: 'step', type: 'int32', doc: 'checkpoint step evaluated' },
  { name: 'task', type: 'dict', doc: 'task name' },
  { name: 'item_id', type: 'dict', doc: "the item's id (as in eval/items)" },
  { name: 'option', type: 'int16', doc: 'option index the sequence scored (0 for LAMBADA)' },
  { name: 'layer', type: 'int16', doc: 'transformer block index of the MoE layer' },
] as const;

const LIMIT = { name: 'item_limit', type: 'int32', doc: '--limit the evaluation ran with (0 = all)' } as const;

export const EVAL_ROUTING: TableSpec = {
  path: 'eval/routing',
  columns: [
    ...KEY_COLUMNS,
    { name: 'tokens', type: 'int32', doc: 'input tokens of the sequence (context + continuation − 1)' },
    { name: 'entropy_topk', type: 'float32', doc: 'mean over tokens of the entropy of the renormalised top-k gate weights (nats, as LibMoE logs it)' },
    { name: 'entropy_full', type: 'float32', doc: 'mean over tokens of the entropy of the full router distribution (nats)' },
    { name: 'margin', type: 'float32', doc: 'mean over tokens of top-1 − top-2 router probability' },
    { name: 'top1_counts', type: 'list<int16>', doc: 'per router index: tokens whose first pick it is' },
    { name: 'topk_counts', type: 'list<int16>', doc: 'per router index: token-slots over all K picks' },
    { name: 'balance', type: 'float64', doc: 'the layer\'s balance_loss on this sequence, as the router reports it (NaN when it has none)' },
    { name: 'z_loss', type: 'float64', doc: 'the layer\'s router_z_loss on this sequence (NaN when it has none)' },
    { name: 'aux_total', type: 'float64', doc: 'the layer\'s aux_total on this sequence (NaN when absent)' },
    LIMIT,
  ],
};

export const EVAL_ROUTES: TableSpec = {
  path: 'eval/routes',
  columns: [
    ...KEY_COLUMNS,
    { name: 'position', type: 'int16', doc: 'input position in the sequence (0-based)' },
    { name: 'token', type: 'int32', doc: 'token id at that position' },
    { name: 'experts', type: 'list<int16>', doc: 'selected router indices, in pick order' },
    { name: 'weights', type: 'list<float32>', doc: 'their gate weights as used in the combine' },
    LIMIT,
  ],
};

export function evalRoutingRows(key: EvalRunKey, itemId: string, option: number, layers: readonly LayerRouting[]): Row[] {
  const aux = (l: LayerRouting, n: string): number => l.aux[n] ?? NaN;
  return layers.map((l) => ({
    run_id: key.runId, step: key.step, task: key.task, item_id: itemId, option, layer: l.layer, tokens: l.tokens,
    entropy_topk: l.entropyTopK, entropy_full: l.entropyFull, margin: l.margin,
    top1_counts: Int16Array.from(l.top1Counts), topk_counts: Int16Array.from(l.topKCounts),
    balance: aux(l, 'balance_loss'), z_loss: aux(l, 'router_z_loss'), aux_total: aux(l, 'aux_total'), item_limit: key.itemLimit,
  }));
}

export function evalRouteRows(key: EvalRunKey, itemId: string, option: number, inputs: ArrayLike<number>, routes: readonly LayerRoutes[]): Row[] {
  const rows: Row[] = [];
  for (const r of routes) {
    for (let t = 0; t < inputs.length; t++) {
      rows.push({
        run_id: key.runId, step: key.step, task: key.task, item_id: itemId, option, layer: r.layer, position: t, token: inputs[t]!,
        experts: Int16Array.from(r.experts.subarray(t * r.k, (t + 1) * r.k)), weights: r.weights.slice(t * r.k, (t + 1) * r.k), item_limit: key.itemLimit,
      });
    }
  }
  return rows;
}
