import { tf } from '../tf.js';

/**
 * Rotary position encoding (GPT-NeoX half-split form, as LibMoE's RotaryPosEncoding) on the
 * first `nRotate` dims of each head; the rest pass through. LibMoE rotates
 * `rotate_fraction · head_dim` dims, rounded down to an even count.
 */
export function rotatedDims(headDim: number, fraction: number): number {
  const n = Math.floor(fraction * headDim);
  return n - (n % 2);
}

/** cos/sin tables [T, nRotate/2] for positions 0..T-1 (host-computed, float64 then rounded). */
export function ropeTables(seqLen: number, nRotate: number, base: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = nRotate / 2;
  const cos = new Float32Array(seqLen * half);
  const sin = new Float32Array(seqLen * half);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t / Math.pow(base, (2 * i) / nRotate);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [seqLen, half]), sin: tf.tensor2d(sin, [seqLen, half]) };
}

/** x: [B, H, T, hd] → same shape with the first nRotate dims rotated by position. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D, nRotate: number): tf.Tensor4D {
  if (nRotate === 0) return x;
  const [b, h, t, hd] = x.shape;
  const half = nRotate / 2;
  const x1 = tf.slice(x, [0, 0, 0, 0], [b, h, t, half]);
  const x2 = tf.slice(x, [0, 0, 0, half], [b, h, t, half]);
  const r1 = tf.sub(tf.mul(x1, cos), tf.mul(x2, sin));
  const r2 = tf.add(tf.mul(x2, cos), tf.mul(x1, sin));
  const parts = [r1, r2];
  if (nRotate < hd) parts.push(tf.slice(x, [0, 0, 0, nRotate], [b, h, t, hd - nRotate]));
  return tf.concat(parts, 3) as tf.Tensor4D;
}
