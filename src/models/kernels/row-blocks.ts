import { tf, type Tensor2D } from '../tf.js';
import { rowRange } from './row-range.js';

/**
 * Differentiable cuts and joins of contiguous row blocks, for banks that run their experts
 * block by block. tf.slice's gradient is a full-size PadV2 and tf.concat's is a SplitV made
 * of slices; on wasm both copy at ~0.5 GB/s (a 64-expert MoE++ step spent 1.3 s in them,
 * measured), so the moves here use rowRange (GatherNd on wasm) and concat only.
 */

/** Rows [start, start+count) of x; gradient: dy placed back between zero blocks. */
export function rowBlock(x: Tensor2D, start: number, count: number): Tensor2D {
  const [m, d] = x.shape;
  if (start === 0 && count === m) return x;
  const f = tf.customGrad(((xx: Tensor2D) => ({
    value: rowRange(xx, start, count),
    gradFunc: (dy: Tensor2D) => {
      const parts: Tensor2D[] = [];
      if (start > 0) parts.push(tf.zeros([start, d]));
      parts.push(dy);
      if (start + count < m) parts.push(tf.zeros([m - start - count, d]));
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as Tensor2D);
    },
  })) as never) as unknown as (x: Tensor2D) => Tensor2D;
  return f(x);
}

/** Row-wise concatenation; gradient: each part's row range of dy. */
export function concatRows(parts: readonly Tensor2D[]): Tensor2D {
  if (parts.length === 1) return parts[0]!;
  const sizes = parts.map((p) => p.shape[0]);
  const f = tf.customGrad(((...args: unknown[]) => {
    const xs = args.slice(0, parts.length) as Tensor2D[];
    return {
      value: tf.concat(xs, 0) as Tensor2D,
      gradFunc: (dy: Tensor2D) => {
        let start = 0;
        return sizes.map((c) => {
          const g = rowRange(dy, start, c);
          start += c;
          return g;
        });
      },
    };
  }) as never) as unknown as (...xs: Tensor2D[]) => Tensor2D;
  return f(...parts);
}
