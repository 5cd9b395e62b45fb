/**
 * Where a router's host copy of its scores comes from (the one read-back of a routing call).
 *
 * Routing decides on the host (host-topk.ts) inside the forward pass, and the forward runs
 * synchronously under the tape, so by default the scores are read with `dataSync`. Backends
 * that cannot read synchronously in Node (webgpu, readback.ts) get the same scores in two
 * phases instead, before the taped forward:
 *
 * 1. probe: the forward runs untaped in a tidy; the first routing call whose scores are not
 *    yet known stops it (`ScoresPending`), keeping that score tensor; the driver awaits its
 *    `data()`, records it, and runs the probe again, now one routing call further. The probe
 *    forward is deterministic given the recorded scores, so every rerun reaches the same
 *    tensors; routers change no state in it (`MoeCallContext.routingProbe`).
 * 2. replay: the real forward (taped or not) runs with every routing call served from the
 *    record, so it computes what the synchronous path computes, bit for bit.
 *
 * Records are keyed by the layer and the call's position within the layer's `apply`, so a
 * block recomputed in the backward pass (lm/recompute-block.ts) is served the scores of its
 * forward: the i-th replayed apply of a layer reads the record of apply i mod (applies probed).
 *
 * Cost: a forward with L routed layers is probed L + 1 times, each up to the next unknown layer
 * (about L/2 + 1 extra forwards); a model that probes block by block from kept block outputs
 * (TransformerLM.probeRouting) pays about one untaped forward plus one router pass per layer.
 * Device-side dispatch would remove it; see docs/gpu.md.
 */
import { tf, type Tensor } from '../tf.js';
import { ASYNC_ONLY_BACKENDS, readSyncGuarded } from '../readback.js';

/** Scores recorded by a probe: per layer, per apply, per routing call of that apply. */
export class RoutingRecord {
  readonly layers = new Map<object, Float32Array[][]>();
}

/** Thrown by a probe pass at the first routing call whose scores are not recorded yet. */
export class ScoresPending extends Error {
  constructor(readonly layer: object, readonly apply: number, readonly scores: Tensor) {
    super('routing scores pending (a probe pass stops here; internal to routing-reads.ts)');
    this.name = 'ScoresPending';
  }
}

interface Pass {
  readonly mode: 'probe' | 'replay';
  readonly record: RoutingRecord;
  /** Applies of each layer seen so far in this pass. */
  readonly applies: Map<object, number>;
}

interface Call {
  readonly layer: object;
  readonly apply: number;
  next: number;
}

let pass: Pass | null = null;
let call: Call | null = null;
let forced = false;

/** Tests: take the two-phase path on every backend (it must give the synchronous path's numbers). */
export function forceAsyncRouting(on: boolean): void {
  forced = on;
}

/** Whether routing must be probed before the forward: the backend cannot read synchronously (or tests force it). */
export function asyncRoutingNeeded(backendName: string = tf.getBackend()): boolean {
  return forced || ASYNC_ONLY_BACKENDS.includes(backendName);
}

/** Whether the current forward is a probe pass (routers then change no state). */
export function inRoutingProbe(): boolean {
  return pass?.mode === 'probe';
}

/** Runs one MoE layer's routing as `layer`'s call: host score reads inside it are keyed to it. */
export function routingCall<T>(layer: object, route: () => T): T {
  if (!pass) return route();
  const apply = pass.applies.get(layer) ?? 0;
  pass.applies.set(layer, apply + 1);
  const outer = call;
  call = { layer, apply, next: 0 };
  try {
    return route();
  } finally {
    call = outer;
  }
}

/**
 * The host copy of a score matrix: a synchronous read outside the two phases (guarded:
 * readback.ts), else the recorded copy, or, in a probe, `ScoresPending`.
 */
export function hostScoresOf(s: Tensor, site: string): Float32Array {
  if (!pass) return readSyncGuarded(s, site) as Float32Array;
  if (!call) throw new Error(`${site}: a routing read outside an MoE layer's apply during a ${pass.mode} pass`);
  const applies = pass.record.layers.get(call.layer) ?? [];
  if (pass.mode === 'probe') {
    const calls = applies[call.apply] ?? [];
    if (call.next < calls.length) return checked(calls[call.next++]!, s, site);
    throw new ScoresPending(call.layer, call.apply, tf.keep(s));
  }
  if (applies.length === 0) throw new Error(`${site}: replay found no recorded scores for this layer (the probe did not reach it)`);
  const calls = applies[call.apply % applies.length]!;
  const got = calls[call.next++];
  if (!got) throw new Error(`${site}: replay asked for routing read ${call.next} of an apply; the probe recorded ${calls.length}`);
  return checked(got, s, site);
}

function checked(v: Float32Array, s: Tensor, site: string): Float32Array {
  if (v.length !== s.size) throw new Error(`${site}: recorded scores hold ${v.length} values, the replayed call has ${s.size}: the forward is not the probed one`);
  return v;
}

/**
 * Phase 1: runs `forward` untaped as often as it takes to record every routing call's
 * scores, reading each asynchronously, into `record` (new, or one to extend: a model probing
 * block by block, lm/transformer-lm.ts). `forward` must compute what the replay will compute
 * (same inputs, same call context) and have no effects beyond its tensors (it may `tf.keep` a
 * result: only the last, complete pass gets that far).
 */
export async function probeRouting(forward: () => unknown, record = new RoutingRecord()): Promise<RoutingRecord> {
  for (;;) {
    const outer = pass;
    pass = { mode: 'probe', record, applies: new Map() };
    let pending: ScoresPending;
    try {
      tf.tidy(() => { forward(); });
      return record;
    } catch (e) {
      if (!(e instanceof ScoresPending)) throw e;
      pending = e;
    } finally {
      pass = outer;
    }
    try {
      const values = Float32Array.from(await pending.scores.data() as Float32Array);
      const applies = record.layers.get(pending.layer) ?? [];
      (applies[pending.apply] ??= []).push(values);
      record.layers.set(pending.layer, applies);
    } finally {
      pending.scores.dispose();
    }
  }
}

/** Phase 2: runs `fn` (synchronously) with every routing read served from `record`. */
export function replayRouting<T>(record: RoutingRecord, fn: () => T): T {
  const outer = pass;
  pass = { mode: 'replay', record, applies: new Map() };
  try {
    return fn();
  } finally {
    pass = outer;
  }
}

/**
 * `run()`, with routing read asynchronously first when the backend needs it: `probe` is the
 * untaped forward that `run` performs (the same inputs and call context), or undefined when the
 * caller knows the forward routes nothing (a dense model: the probe would be a wasted forward).
 * On backends that read synchronously it is just `run()`.
 */
export async function withRoutingRead<T>(probe: (() => unknown) | undefined, run: () => T): Promise<T> {
  return withProbedRouting(probe && (() => probeRouting(probe)), run);
}

/** `withRoutingRead` with a probe of the caller's own (e.g. TransformerLM.probeRouting, block by block). */
export async function withProbedRouting<T>(probe: (() => Promise<RoutingRecord>) | undefined, run: () => T): Promise<T> {
  if (!probe || !asyncRoutingNeeded()) return run();
  return replayRouting(await probe(), run);
}
