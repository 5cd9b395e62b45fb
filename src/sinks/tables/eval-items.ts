/**
 * `eval/items-*.parquet`: one row per run × checkpoint step × task × item: each option's score,
 * the gold option, the prediction and whether it was right under each protocol.
 */
import type { ItemResult } from '../../eval/scoring/results.js';
import type { Row, TableSpec } from '../table-spec.js';
import type { EvalRunKey } from './eval-results.js';

export const EVAL_ITEMS: TableSpec = {
  path: 'eval/items',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' },
    { name: 'step', type: 'int32', doc: 'checkpoint step evaluated' },
    { name: 'task', type: 'dict', doc: 'task name' },
    { name: 'item_id', type: 'dict', doc: "the row's own id, or <file stem>:<line>" },
    { name: 'group', type: 'dict', doc: "the item's LibMoE group" },
    { name: 'gold', type: 'int16', doc: 'index of the right option (−1 for LAMBADA)' },
    { name: 'prediction', type: 'int16', doc: 'option with the highest LibMoE score, first on a tie (−1 for LAMBADA)' },
    { name: 'correct', type: 'int16', doc: 'LibMoE: 1 if the gold option scores strictly above every other (LAMBADA: the detokenised greedy word is the last word)' },
    { name: 'acc', type: 'int16', doc: 'lm-evaluation-harness acc (LAMBADA: every greedy token is the target token)' },
    { name: 'acc_norm', type: 'int16', doc: 'lm-evaluation-harness acc_norm (loglik / characters); 0 for LAMBADA' },
    { name: 'scores', type: 'list<float32>', doc: "each option's LibMoE score (mean continuation log-prob, or the sequence's summed log-prob); LAMBADA: [last-word log-prob]" },
    { name: 'logliks', type: 'list<float32>', doc: "each option's summed continuation log-prob (the harness's loglikelihood)" },
    { name: 'tokens', type: 'list<int16>', doc: "each option's continuation length in tokens" },
    { name: 'truncated', type: 'int16', doc: '1 if some context was cut from the left to fit the window' },
    { name: 'target', type: 'dict', doc: 'LAMBADA: the last word ("" for multiple choice)' },
    { name: 'predicted', type: 'dict', doc: 'LAMBADA: the detokenised greedy prediction ("" for multiple choice)' },
    { name: 'item_limit', type: 'int32', doc: '--limit the evaluation ran with (0 = all)' },
  ],
};

const flag = (b: boolean): number => (b ? 1 : 0);

export function evalItemRows(key: EvalRunKey, results: readonly ItemResult[]): Row[] {
  return results.map((r) => {
    const base = { run_id: key.runId, step: key.step, task: key.task, item_id: r.id, group: r.group, truncated: flag(r.truncated), item_limit: key.itemLimit };
    if (r.kind === 'choice') {
      return { ...base, gold: r.gold, prediction: r.prediction, correct: flag(r.correct), acc: flag(r.acc), acc_norm: flag(r.accNorm),
        scores: Float32Array.from(r.scores), logliks: Float32Array.from(r.logliks), tokens: Int16Array.from(r.tokens), target: '', predicted: '' };
    }
    return { ...base, gold: -1, prediction: -1, correct: flag(r.correct), acc: flag(r.greedyTokens), acc_norm: 0,
      scores: Float32Array.of(r.loglik), logliks: Float32Array.of(r.loglik), tokens: Int16Array.of(r.tokens), target: r.target, predicted: r.predicted };
  });
}
