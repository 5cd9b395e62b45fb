import { tf, type Scalar, type Tensor2D } from '../tf.js';
import { disposeRowIndex, makeRowIndex, scatterRows } from '../kernels/row-select.js';
import type { RoutingStatTensors } from './types.js';

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
