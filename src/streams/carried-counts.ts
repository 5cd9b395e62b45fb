/**
 * Counters that are part of a flow's position. A stage whose counts must survive a resume
 * (a source's read/used/skipped) puts them under the key `counts` of its own state, as
 * additive values (numbers, and maps of them). Because every operator's state holds its
 * upstream's state *as of the last item delivered*, the counts found in a flow's state are the
 * counts at the consumer's position: a resumed flow starts from them and reads on, so an
 * interrupted and resumed run ends with the same counts as an uninterrupted one.
 */
import type { Json, StageState } from './stage.js';

/** Additive counters: numbers, or maps of counters. */
export type Counts = { [key: string]: number | Counts };

/** Adds numbers found at the same paths (nested objects merge; other values: the newer one wins). */
export function addCounts(a: Json, b: Json): { [key: string]: Json } {
  const out: { [key: string]: Json } = { ...(a as object) };
  for (const [key, value] of Object.entries(b as object) as [string, Json][]) {
    const prev = out[key];
    if (typeof value === 'number' && typeof prev === 'number') out[key] = prev + value;
    else if (isMap(value) && isMap(prev)) out[key] = addCounts(prev, value);
    else out[key] = isMap(value) ? addCounts({}, value) : value;
  }
  return out;
}

/**
 * Every `counts` found in a state, added up (a mix of sources, the finished epochs of a
 * `repeat` and its running epoch, …). `{}` for a state that carries none (e.g. one saved
 * before counts were carried).
 */
export function countsIn(state: StageState | undefined): Counts {
  let total: { [key: string]: Json } = {};
  const visit = (v: Json | undefined): void => {
    if (Array.isArray(v)) { for (const x of v) if (x !== null && typeof x === 'object') visit(x); return; }
    if (!isMap(v)) return;
    for (const [key, value] of Object.entries(v)) {
      if (key === 'counts' && isMap(value)) total = addCounts(total, value);
      else if (value !== null && typeof value === 'object') visit(value);
    }
  };
  visit(state);
  return total as Counts;
}

function isMap(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}
