import { formatDuration } from '../shared/progress.js';
import type { RunSummary } from './run-pipeline.js';

/** The lines `pipeline run` prints when it ends. */
export function summaryText(s: RunSummary): string {
  const tables = Object.entries(s.tables).map(([k, v]) => `${k} ${v.rows} rows/${v.parts} parts`).join(', ');
  return [
    `done: ${s.steps} steps (last ${s.lastStep}), ${s.tokens} tokens in ${formatDuration(s.wallMs)}` +
      (s.wallMs > 0 ? ` (${Math.round((s.tokens * 1000) / s.wallMs)} tok/s)` : ''),
    s.lastLoss !== undefined ? `final train loss ${s.lastLoss.toFixed(4)}` : 'no step finished',
    s.lastEval ? `last eval (step ${s.lastEval.step}): loss ${s.lastEval.loss.toFixed(4)}, perplexity ${s.lastEval.perplexity.toFixed(2)}` : '',
    `statistics: ${tables || 'none'}`,
    `report: pipeline report ${s.runDir}`,
  ].filter(Boolean).join('\n') + '\n';
}
