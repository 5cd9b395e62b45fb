import { tf, type Tensor2D, type Tensor4D } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';

/** torch's cubic convolution constant (`upsample_bicubic2d`, Keys' kernel with a = −0.75). */
const A = -0.75;

/**
 * The [out, in] matrix of torch's 1-D bicubic resampling with `align_corners=False` and no
 * antialias: output i reads src = (in/out)·(i + 0.5) − 0.5 (not clamped at 0, as for
 * cubic), taps floor(src) − 1 … + 2 clamped to the edge, weights Keys(t ± …), t = src − floor(src).
 * Rows sum to 1. Computed in float64 and rounded once.
 */
export function bicubicMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  for (let i = 0; i < outSize; i++) {
    const src = scale * (i + 0.5) - 0.5;
    const base = Math.floor(src);
    const t = Math.min(Math.max(src - base, 0), 1);
    const w = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      const j = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      m[i * inSize + j]! += w[k]!;
    }
  }
  return Float32Array.from(m);
}

/**
 * `F.interpolate(x, size=out, mode='bicubic', align_corners=False)` on [B, C, S, S]: the
 * separable resampling as two matmuls (x·Aᵀ along width, then along height), so the
 * gradient is two matmuls as well. Same size is the identity, as in torch.
 */
export function bicubicResize(x: Tensor4D, out: number): Tensor4D {
  const [b, c, h, w] = x.shape;
  if (h !== w) throw new Error(`bicubicResize: square images only, got ${h}×${w}`);
  if (out === h) return x;
  const at = tf.tensor2d(bicubicMatrix(h, out), [out, h]);
  const atT = tf.transpose(at) as Tensor2D;
  // Along width: rows (b, c, y), columns x.
  const wide = matMul2D(tf.reshape(x, [b * c * h, w]) as Tensor2D, atT);
  // Along height: rows (b, c, x'), columns y.
  const cols = tf.reshape(tf.transpose(tf.reshape(wide, [b * c, h, out]), [0, 2, 1]), [b * c * out, h]) as Tensor2D;
  const tall = matMul2D(cols, atT);
  return tf.reshape(tf.transpose(tf.reshape(tall, [b * c, out, out]), [0, 2, 1]), [b, c, out, out]) as Tensor4D;
}
