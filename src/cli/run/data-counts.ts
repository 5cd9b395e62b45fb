/**
 * The sources' counts at a flow position (src/streams/carried-counts.ts) in the form the event
 * plane reports them: totals, skips per file and reason, and what a step added.
 */
import type { DataCounts, SkipCount } from '../../events/step-event.js';
import { countsIn } from '../../streams/carried-counts.js';
import type { StageState } from '../../streams/stage.js';

type SkipMap = { [file: string]: { [reason: string]: number } };

function skipList(m: SkipMap | undefined): SkipCount[] {
  const out: SkipCount[] = [];
  for (const [file, reasons] of Object.entries(m ?? {})) for (const [reason, count] of Object.entries(reasons)) out.push({ file, reason, count });
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.reason.localeCompare(b.reason));
}

/** Counts at the position `after`, and the skips added since the position `before`. */
export function dataCountsBetween(before: StageState | undefined, after: StageState): DataCounts {
  const now = countsIn(after);
  const then = before === undefined ? {} : countsIn(before);
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const skips = skipList(now['skippedByFile'] as SkipMap | undefined);
  const earlier = then['skippedByFile'] as SkipMap | undefined;
  const newSkips = skips
    .map((s) => ({ ...s, count: s.count - (earlier?.[s.file]?.[s.reason] ?? 0) }))
    .filter((s) => s.count > 0);
  return { read: num(now['read']), used: num(now['used']), skipped: num(now['skipped']), skips, newSkips };
}
