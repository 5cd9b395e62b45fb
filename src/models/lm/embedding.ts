import { tf, type Tensor2D } from '../tf.js';

/**
 * Row lookup `table[ids]` with a gradient that works on wasm. tf.gather's built-in gradient
 * needs UnsortedSegmentSum, which tfjs-wasm does not register; ScatterNd (which sums
 * duplicate indices, in index order, so deterministically) does the same job here.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor1D): Tensor2D {
  const lookup = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    // Saved, not captured: the tape's forward tidy would dispose a captured `ids` before backward.
    save([ids]);
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor, [savedIds]: tf.Tensor[]) => tf.scatterND(tf.reshape(savedIds!, [savedIds!.shape[0]!, 1]), dy, t.shape),
    };
  }) as never) as unknown as (t: tf.Tensor) => Tensor2D;
  return lookup(table);
}
