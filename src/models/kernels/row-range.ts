import { tf, type Tensor2D } from '../tf.js';
import { takeRows } from './take-rows.js';

/**
 * Rows [start, start+count) of x, forward only. cpu's slice shares the buffer (free); wasm's
 * copies at ~0.5 GB/s, while a GatherNd over the same rows runs ~3× faster (measured).
 */
export function rowRange(x: Tensor2D, start: number, count: number): Tensor2D {
  if (start === 0 && count === x.shape[0]) return x;
  if (tf.getBackend() !== 'wasm') return tf.slice(x, [start, 0], [count, x.shape[1]]);
  return tf.tidy(() => takeRows(x, tf.range(start, start + count, 1, 'int32') as tf.Tensor1D));
}
