/** `eval`: one row per evaluation of the held-out set during training. */
import type { EvalEvent } from '../../events/step-event.js';
import type { Row } from '../table-spec.js';
import { runIdColumn, stepColumn } from './key-columns.js';
import { column, defineTable } from './stats-table.js';

export interface EvalSource { readonly runId: string; readonly step: number; readonly ev: EvalEvent }

const c = column<EvalSource>;
export const evalTable = defineTable<EvalSource>('eval', [
  runIdColumn(), stepColumn(),
  c('loss', 'float64', 'held-out cross-entropy', (s) => s.ev.result.loss),
  c('perplexity', 'float64', 'exp(loss)', (s) => s.ev.result.perplexity),
  c('accuracy', 'float64', 'next-token top-1 accuracy', (s) => s.ev.result.accuracy),
  c('tokens', 'int32', 'held-out tokens evaluated', (s) => s.ev.result.tokens),
  c('time', 'timestamp_ms', 'wall clock when the evaluation finished (UTC)', (s) => s.ev.time),
]);

export function evalRows(ev: EvalEvent): Row[] {
  return [evalTable.row({ runId: ev.runId, step: ev.step, ev })];
}
