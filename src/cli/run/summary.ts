import { formatDuration } from '../shared/progress.js';
import type { DataCounts } from '../../events/step-event.js';
import type { RunSummary } from './run-pipeline.js';

/** Skip lines shown at most; the `data` table has them all. */
const SKIP_LINES = 10;

/** `data: read 1000 = used 988 + skipped 12`, then one line per file and reason skipped. */
export function dataSummary(d: DataCounts, runDir: string): string[] {
  const lines = [`data: read ${d.read} = used ${d.used} + skipped ${d.skipped} records`];
  for (const s of d.skips.slice(0, SKIP_LINES)) lines.push(`  skipped ${s.count} × ${s.reason} in ${s.file}`);
  if (d.skips.length > SKIP_LINES) lines.push(`  … ${d.skips.length - SKIP_LINES} more (file, reason) pairs`);
  if (d.skipped > 0) lines.push(`  all skips: SELECT file, reason, sum(count) FROM read_parquet('${runDir}/data-*.parquet') GROUP BY ALL`);
  return lines;
}

/** The lines `pipeline run` prints when it ends. */
export function summaryText(s: RunSummary): string {
  const tables = Object.entries(s.tables).map(([k, v]) => `${k} ${v.rows} rows/${v.parts} parts`).join(', ');
  return [
    `done: ${s.steps} steps (last ${s.lastStep}), ${s.tokens} tokens in ${formatDuration(s.wallMs)}` +
      (s.wallMs > 0 ? ` (${Math.round((s.tokens * 1000) / s.wallMs)} tok/s)` : '') +
      `, ${s.workers === 1 ? '1 thread' : `${s.workers} data-parallel workers`}`,
    s.lastLoss !== undefined ? `final train loss ${s.lastLoss.toFixed(4)}` : 'no step finished',
    s.lastEval ? `last eval (step ${s.lastEval.step}): loss ${s.lastEval.loss.toFixed(4)}, perplexity ${s.lastEval.perplexity.toFixed(2)}` : '',
    s.heldOut ? `held-out answers (${s.heldOut.records} records, ${s.heldOut.metric}): ${(100 * s.heldOut.tokenAccuracy).toFixed(1)}% of answer tokens, ` +
      `${(100 * s.heldOut.answerExactMatch).toFixed(1)}% of ${s.heldOut.answers} answers exact; chance: majority answer ${(100 * s.heldOut.majorityBaseline).toFixed(1)}%, uniform token ${(100 * s.heldOut.uniformTokenChance).toFixed(2)}%` : '',
    ...(s.data ? dataSummary(s.data, s.runDir) : []),
    `statistics: ${tables || 'none'}`,
    `report: pipeline report ${s.runDir}`,
  ].filter(Boolean).join('\n') + '\n';
}
