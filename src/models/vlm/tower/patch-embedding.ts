import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';

/**
 * The patch conv (kernel = stride = p, no padding) as one matmul over patches:
 * pixels [B, 3, S, S] → [B·P, D], patches in row-major grid order (HF's `flatten(2)`).
 * Each patch is flattened as (channel, kh, kw), the layout of the conv weight [D, 3, p, p],
 * so the weight is used as a [D, 3·p·p] matrix. Only rank-4 transposes (fast on wasm).
 */
export function patchEmbed(pixels: Tensor4D, weight: Tensor, bias: Tensor | undefined, patch: number): Tensor2D {
  const [b, c, s] = pixels.shape;
  const g = s / patch;
  // [B·3·g, p, g, p] → [B·3·g, g, p, p]: within a row of patches, each patch's p×p block.
  const rows = tf.transpose(tf.reshape(pixels, [b * c * g, patch, g, patch]), [0, 2, 1, 3]);
  // [B, 3, P, p·p] → [B, P, 3, p·p]: the channel moves inside the patch.
  const patches = tf.reshape(tf.transpose(tf.reshape(rows, [b, c, g * g, patch * patch]), [0, 2, 1, 3]), [b * g * g, c * patch * patch]) as Tensor2D;
  const w = tf.reshape(weight, [weight.shape[0]!, c * patch * patch]) as Tensor2D;
  const y = matMul2D(patches, tf.transpose(w));
  return bias ? (tf.add(y, bias) as Tensor2D) : y;
}
