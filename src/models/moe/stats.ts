import { tf, type Scalar, type Tensor2D } from '../tf.js';
import { disposeRowIndex, makeRowIndex, scatterRows } from '../kernels/row-select.js';
import type { GroupStats, RoutingStatTensors, StatGroups } from './types.js';

/**
 * Per-call routing statistics as small tensors over the router's index space [E_r], so a
 * step reads every layer's stats back in one batch. Counts come from the host decision;
 * masses, entropies and margins are reduced in the graph (they feed no loss, so no gradient
 * flows through them).
 */
export function routingStats(probs: Tensor2D, slots: Int32Array, combine: Tensor2D, k: number, dropped: number): RoutingStatTensors {
  const [n, e] = probs.shape;
  const slotCount = new Float32Array(e);
  const top1 = new Float32Array(e);
  const sel: number[] = [];
  const pos: number[] = [];
  for (let i = 0; i < n * k; i++) {
    const j = slots[i]!;
    if (j < 0 || j >= e) continue;
    slotCount[j]! += 1;
    if (i % k === 0) top1[j]! += 1;
    sel.push(i);
    pos.push(Math.floor(i / k) * e + j);
  }
  const absW = tf.abs(combine);
  // Scatter each slot's |weight| onto its (token, expert) cell, then sum over tokens.
  const picked = tf.gather(tf.reshape(absW, [n * k, 1]), tf.tensor1d(Int32Array.from(sel), 'int32')) as Tensor2D;
  const ix = makeRowIndex(Int32Array.from(pos), n * e);
  const gateMass = tf.sum(tf.reshape(scatterRows(picked, ix), [n, e]), 0);
  disposeRowIndex(ix);
  const wn = tf.div(absW, tf.add(tf.sum(absW, 1, true), 1e-30));
  const entropyTopKSum = tf.neg(tf.sum(tf.mul(wn, tf.log(tf.add(wn, 1e-30))))) as Scalar;
  const entropyFullSum = tf.neg(tf.sum(tf.mul(probs, tf.log(tf.add(probs, 1e-30))))) as Scalar;
  let marginSum: Scalar;
  if (e >= 2) {
    const top = tf.topk(probs, 2).values;
    marginSum = tf.sum(tf.sub(tf.slice(top, [0, 0], [n, 1]), tf.slice(top, [0, 1], [n, 1]))) as Scalar;
  } else {
    marginSum = tf.scalar(0);
  }
  return {
    tokenSlots: tf.tensor1d(slotCount),
    top1Count: tf.tensor1d(top1),
    probMass: tf.sum(probs, 0) as tf.Tensor1D,
    gateMass: gateMass as tf.Tensor1D,
    entropyTopKSum,
    entropyFullSum,
    marginSum,
    droppedSlots: tf.scalar(dropped),
  };
}

/**
 * `routingStats` per token group (MoeCallContext.statGroups): each group's statistics over its
 * own tokens, so a VLM decoder layer reports image-feature rows and text rows apart. Tokens of
 * group −1 count in none. `droppedOfToken[t]` is token t's capacity-dropped slots.
 */
export function groupRoutingStats(probs: Tensor2D, slots: Int32Array, combine: Tensor2D, k: number, droppedOfToken: Int32Array, groups: StatGroups): GroupStats[] {
  const [n, e] = probs.shape;
  if (groups.groupOf.length !== n) throw new Error(`statGroups: ${groups.groupOf.length} group ids for a call of ${n} tokens`);
  const members: number[][] = Array.from({ length: groups.count }, () => []);
  groups.groupOf.forEach((g, t) => { if (g >= 0) members[g]!.push(t); });
  return members.map((m) => {
    const tokens = Int32Array.from(m);
    if (tokens.length === 0) return { tokens, stats: zeroStats(e) };
    const idx = tf.tensor1d(tokens, 'int32');
    const sub = new Int32Array(tokens.length * k);
    let dropped = 0;
    tokens.forEach((t, i) => {
      sub.set(slots.subarray(t * k, t * k + k), i * k);
      dropped += droppedOfToken[t]!;
    });
    return { tokens, stats: routingStats(tf.gather(probs, idx) as Tensor2D, sub, tf.gather(combine, idx) as Tensor2D, k, dropped) };
  });
}

/** The statistics of no tokens (a group empty in this call). */
function zeroStats(e: number): RoutingStatTensors {
  return {
    tokenSlots: tf.zeros([e]) as tf.Tensor1D, top1Count: tf.zeros([e]) as tf.Tensor1D, probMass: tf.zeros([e]) as tf.Tensor1D, gateMass: tf.zeros([e]) as tf.Tensor1D,
    entropyTopKSum: tf.scalar(0), entropyFullSum: tf.scalar(0), marginSum: tf.scalar(0), droppedSlots: tf.scalar(0),
  };
}
