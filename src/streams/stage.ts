/**
 * The stage contract of the data plane (ARCHITECTURE.md §2).
 *
 * Data is pulled: a stage produces its next item only when its consumer asks.
 * Every stage can say where it is (`state()`), and the same flow built with that
 * state continues with exactly the item that would have come next.
 */

import type { Json } from '../base/json.js';

/** JSON-serialisable value: what a stage's position is made of (defined in src/base). */
export type { Json };

/**
 * The position of a stage *and everything upstream of it*, as seen by its consumer:
 * it describes what the consumer has received, never what was read ahead.
 * Ops nest their upstream's state (see `opState`), so one value restores a whole flow.
 */
export type StageState = Json;

/** Counts a stage keeps about what passed through it (records read / used / skipped per reason ...). */
export type StageStats = { [key: string]: Json };

export interface Stage<T> extends AsyncIterable<T> {
  /** Position after the last item the consumer received. Cheap: call it at every step if you like. */
  state(): StageState;
  /** Optional counters (e.g. reconciled read = used + skipped). Nested like `state()`. */
  stats?(): StageStats;
  /** Release files, workers and buffers early (the flow also cleans up when iteration ends). */
  close?(): Promise<void>;
}

/**
 * A source, or any composed flow: builds a fresh stage, optionally resumed from a state
 * that an earlier stage of the same flow returned.
 */
export type Flow<T> = (resume?: StageState) => Stage<T>;

/**
 * An operator: wraps an upstream stage. `resume` is the operator's *own* part of a saved
 * state (what it put in `local` of `opState`), never its upstream's.
 */
export type Op<A, B> = (upstream: Stage<A>, resume?: Json) => Stage<B>;

/** The state of an op stage: its own position plus its upstream's full state. */
export interface OpState {
  readonly local: Json;
  readonly upstream: StageState;
}

export function opState(local: Json, upstream: StageState): StageState {
  return { local, upstream } satisfies OpState as unknown as Json;
}

/** Split an op's saved state; throws a clear error for a state from a different flow. */
export function splitOpState(state: StageState | undefined, where: string): OpState | undefined {
  if (state === undefined) return undefined;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || !('upstream' in state) || !('local' in state)) {
    throw new Error(`${where}: resume state does not match this pipeline (expected {local, upstream}, got ${JSON.stringify(state).slice(0, 120)})`);
  }
  return { local: state.local as Json, upstream: state.upstream as Json };
}
