/**
 * The `data` table: records the sources skipped (data.onError: skip), per file and reason, one
 * row per (step, file, reason) in the step that first counted them. Skips are counted at the
 * data position of each step, so `SELECT file, reason, sum(count) … GROUP BY ALL` gives the
 * run's skips, the same for an interrupted-and-resumed run as for an uninterrupted one.
 */
import type { StepEvent } from '../../events/step-event.js';
import type { Row, TableSpec } from '../table-spec.js';

export const DATA: TableSpec = {
  path: 'data',
  columns: [
    { name: 'run_id', type: 'dict', doc: 'run identifier (directory name under runs/)' },
    { name: 'step', type: 'int32', doc: 'the step whose data first counted these skips (1-based)' },
    { name: 'file', type: 'dict', doc: 'data file the skipped records are in' },
    { name: 'reason', type: 'dict', doc: 'why they were skipped (invalid_json, invalid_utf8, missing_text, truncated_last_line, …; docs/sources.md)' },
    { name: 'count', type: 'int32', doc: 'records skipped for this reason in this file since the previous step' },
  ],
};

/** The rows of one step: its new skips (none for most steps). */
export function dataRows(ev: StepEvent): Row[] {
  return (ev.data?.newSkips ?? []).map((s) => ({ run_id: ev.runId, step: ev.result.step, file: s.file, reason: s.reason, count: s.count }));
}
